"""The helpdesk's pages: staff's (staff.py) and the Customer Portal's (portal.py)."""
