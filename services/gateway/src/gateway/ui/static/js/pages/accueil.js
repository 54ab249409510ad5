import { currentUser } from "/static/js/api.js";
import "/static/js/layout.js";

if (!currentUser()) document.getElementById("home-filings").setAttribute("href", "/connexion?suivant=%2Fdossiers");
