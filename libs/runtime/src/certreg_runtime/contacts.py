"""Who the platform's users can turn to, and the publisher's legal notice: the addresses
and links the pages, the mails and the letters give (``CERTREG_*`` like every setting).

The defaults are France compétences' own: the support address for activation and access
trouble, the address for questions on the procedure, the help notices of the two
repertoires. A deployment sets them (and its host) from the environment; the gateway
(pages) and the notifier (mails) read the same values.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# France compétences' public help page on the registration procedure ("Aide dans vos
# démarches", step by step: account, filing, dialogue). The two notices' own addresses
# change with each edition: set CERTREG_NOTICE_RNCP_URL / CERTREG_NOTICE_RS_URL to them.
HELP_PAGE = "https://www.certificationprofessionnelle.fr/aide-dans-vos-demarches"


class Contacts(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore", frozen=True)

    # The service's name in French, as the pages' header, titles and text give it
    # (``CERTREG_SERVICE_NAME``); the back office adds « espace agents ».
    service_name: str = Field(default="Enregistrement des certifications professionnelles", min_length=1, max_length=120)
    # The working days within which the platform commits to examining a new organisation's
    # account request (``CERTREG_ACCOUNT_VALIDATION_DAYS``), told on the sign-up page as the
    # platform's own service commitment. No text sets such a delay that we could source:
    # there is no default figure, and unset, no delay is promised.
    account_validation_days: int | None = Field(default=None, gt=0, le=90)

    # Activation, login or account trouble.
    support_email: str = Field(default="support.certificationprofessionnelle@francecompetences.fr", min_length=3)
    # Questions on the procedure, the repertoires, a dossier.
    contact_email: str = Field(default="certificationprofessionnelle@francecompetences.fr", min_length=3)
    # The help notices of the registration procedure, one per repertoire.
    notice_rncp_url: str = HELP_PAGE
    notice_rs_url: str = HELP_PAGE
    # Personal data: the data protection officer.
    dpo_email: str = Field(default="dpo@francecompetences.fr", min_length=3)
    # The legal notice (mentions légales): publisher, its address, director of publication, host.
    publisher: str = "France compétences"
    publisher_status: str = "établissement public administratif placé sous la tutelle du ministre chargé de la formation professionnelle"
    publisher_address: str = "11 rue Scribe, 75009 Paris"
    publication_director: str = "le directeur général de France compétences"
    host: str = "France compétences"
    host_address: str = "11 rue Scribe, 75009 Paris"

    def validation_delay(self) -> str:
        """What the sign-up page says of the wait for validation: the configured commitment,
        said to be the platform's own and not a delay set by law."""
        if self.account_validation_days is None:
            return "aucun délai d’examen n’est garanti"
        n = self.account_validation_days
        days = f"{n} jour{'s' if n > 1 else ''} ouvré{'s' if n > 1 else ''}"
        return (
            f"pour un nouvel organisme, la plateforme s’engage à un examen sous {days} après l’activation du compte "
            "(engagement de service de la plateforme, et non délai réglementaire)"
        )

    def notices(self) -> tuple[tuple[str, str], ...]:
        """(label, url) of the help notices, RNCP first."""
        return (
            ("Notice d'aide à la demande d'enregistrement au RNCP", self.notice_rncp_url),
            ("Notice d'aide à la demande d'enregistrement au Répertoire spécifique", self.notice_rs_url),
        )

    def external_links(self) -> frozenset[str]:
        """Every address outside the platform its pages and mails may link to: the notices
        and the official texts the legal pages cite."""
        return frozenset({self.notice_rncp_url, self.notice_rs_url, *OFFICIAL_TEXTS.values()})


# The official texts the legal pages link to (Légifrance, CNIL, the accessibility framework).
OFFICIAL_TEXTS: dict[str, str] = {
    "rgpd": "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    "informatique_et_libertes": "https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000886460",
    "cnil_plainte": "https://www.cnil.fr/fr/adresser-une-plainte",
    "rgaa": "https://accessibilite.numerique.gouv.fr/",
    "defenseur_des_droits": "https://formulaire.defenseurdesdroits.fr/",
    "loi_2005_102": "https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000809647",
    "etalab": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
