package notify

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
)

// TestWebhookRedirectToPlainHTTPRefused: an https webhook that redirects to
// plain http is not followed; the delivery fails and says why.
func TestWebhookRedirectToPlainHTTPRefused(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer plain.Close()
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/events", http.StatusTemporaryRedirect)
	}))
	defer hook.Close()
	n, _ := newNotifier(t, Options{WebhookURL: hook.URL + "/events", HTTPClient: hook.Client()})
	res, _ := n.Notify(t.Context(), rep(one(checks.CheckLocalCopy, checks.StatusWarning)))
	if len(res) != 1 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "plain http") {
		t.Errorf("results = %+v", res)
	}
	if plainHits.Load() != 0 {
		t.Errorf("the plain-http server got %d requests", plainHits.Load())
	}
}
