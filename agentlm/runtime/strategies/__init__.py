"""One module per reasoning strategy; each exposes plain node functions `(state, runtime) -> update`."""
