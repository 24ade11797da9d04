"""The second terminal: what the customer sees on a monitor facing them, read from the till's
customer display service (``cashier-tui customer-display --till URL``)."""
