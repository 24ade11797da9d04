"""The customer display's web page, as package data: index.html, display.css and display.js.
Served as they are by pos_core/customer_page_routes.py; no build step, nothing from elsewhere."""
