// Loaded by the printable ticket (/api/billing/{id}/ticket.html): opens the print dialog once
// the page (and its QR image) has loaded. A file, not an inline handler, so the CSP
// (script-src 'self') allows it.
window.addEventListener("load", () => window.print());
