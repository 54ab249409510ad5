// A page with no behaviour beyond the header.
import "/static/js/layout.js";
