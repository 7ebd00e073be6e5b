"""Models of this app; see PRODUCT.md for its requirements."""
