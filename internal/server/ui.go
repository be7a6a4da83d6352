package server

import (
	"io/fs"
	"net/http"

	"github.com/poseidon-ads/poseidon/internal/webui"
)

// UIPath is where the web console is served.
const UIPath = "/_poseidon/ui/"

// routeUI serves the web console's files (internal/webui) under UIPath. They
// are public, as the health check: the console asks for credentials in
// strict mode and signs every call it makes, and the files hold no data.
// Files only: a folder or a missing file is the JSON 404 of every route.
func (s *Server) routeUI() {
	files := webui.Files()
	s.handle("GET /_poseidon/ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, UIPath, http.StatusMovedPermanently)
	})
	s.handle("GET "+UIPath+"{path...}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("path")
		if name == "" {
			name = "index.html"
		}
		if st, err := fs.Stat(files, name); err != nil || st.IsDir() {
			s.notFound(w, r)
			return
		}
		h := w.Header()
		// Everything comes from this server: no CDN, no inline script.
		// Styles may be inline (the chart and graph libraries set them).
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, name)
	})
}
