#!/bin/sh
# One-shot MinIO set-up (the minio-init container, image minio/mc): the buckets, private,
# and an application user that may only touch the certreg-* buckets. Idempotent: safe to
# run at every start. The services also create their own buckets at start.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}"
: "${MINIO_URL:=http://minio:9000}"
: "${CERTREG_BUCKETS:=certreg-entities-documents certreg-filings-documents certreg-filings-receipts certreg-notifier-letters certreg-review-documents}"

mc alias set local "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

for bucket in $CERTREG_BUCKETS; do
  mc mb --ignore-existing "local/$bucket"
  mc anonymous set none "local/$bucket" >/dev/null
done

mc admin policy create local certreg-rw /etc/certreg/certreg-policy.json >/dev/null
mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >/dev/null
# "attach" fails when the policy is already attached (a re-run): that is fine.
mc admin policy attach local certreg-rw --user "$S3_ACCESS_KEY" >/dev/null 2>&1 \
  || mc admin user info local "$S3_ACCESS_KEY" | grep -q certreg-rw
echo "buckets and the application user are ready"
