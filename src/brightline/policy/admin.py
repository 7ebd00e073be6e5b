# The policy is edited on its own page (/policy/edit/) so that every change carries a reason
# and passes the same validation as the API; it is deliberately not registered in the admin.
