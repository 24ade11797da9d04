"""The self-checkout kiosk: loyalty without a cashier (a shell for now; see the kiosk issue)."""
