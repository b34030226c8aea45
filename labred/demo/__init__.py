"""The demo: hub, N edges and the sandbox as child processes (DESIGN.md section 9)."""
