import { requireLogin } from "/static/js/api.js";
import "/static/js/layout.js";
import { accountRequests, decidedRequests } from "/static/js/requests.js";

requireLogin();
accountRequests(document.getElementById("requests"), { staff: true });
decidedRequests(document.getElementById("decided"));
