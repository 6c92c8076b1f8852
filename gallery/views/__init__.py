"""HTTP only: parse input with a form, call a service or selector, render or redirect."""
