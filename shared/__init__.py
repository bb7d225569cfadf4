"""Code every Ventanilla Lambda shares; shipped in the dependency layer as the `shared` package."""
