import { requireLogin } from "/static/js/api.js";
import "/static/js/layout.js";
import { accountRequests, decidedRequests } from "/static/js/requests.js";

requireLogin();
accountRequests(document.getElementById("requests"), { staff: false });
decidedRequests(document.getElementById("decided"));
