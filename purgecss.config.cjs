// PurgeCSS for `make vendor`: hds-core's rules kept only where our markup can match
// them (issue 18). The content is every template and consult.js; the names the
// templates compose (`hds-button--{{ kind }}`, `hds-notification--{{ … }}`) are kept
// whole by prefix. hds-core's custom properties go when neither its kept rules nor
// static/css/consult.css use them.
const fs = require("fs");

const ours = fs.readFileSync("static/css/consult.css", "utf8");
const variablesWeUse = [...new Set(ours.match(/var\(--[\w-]+/g).map((v) => v.slice(4)))];

module.exports = {
  content: ["consult/templates/**/*.html", "static/js/consult.js"],
  safelist: {
    standard: [/^hds-button--/, /^hds-notification--/],
    variables: variablesWeUse,
  },
  variables: true,
};
