package icloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// stubPoster answers every POST with the next canned body.
type stubPoster struct {
	answers []string
	urls    []string
	bodies  []string
}

func (s *stubPoster) postJSON(_ context.Context, _ string, url string, body any, out any) error {
	s.urls = append(s.urls, url)
	b, _ := json.Marshal(body)
	s.bodies = append(s.bodies, string(b))
	if len(s.answers) == 0 {
		return errors.New("no more answers")
	}
	answer := s.answers[0]
	s.answers = s.answers[1:]
	return json.Unmarshal([]byte(answer), out)
}

func (s *stubPoster) webservice(string) (string, error) { return "https://ck.example", nil }
func (s *stubPoster) revalidate(context.Context) error  { return nil }

func TestPerRecordAndPerZoneErrors(t *testing.T) {
	zone := Zone{Name: "PrimarySync", Database: dbPrivate}
	tests := []struct {
		name   string
		answer string
		run    func(r *photosReader) error
		kind   error
	}{
		{"record", `{"records":[{"recordName":"x","serverErrorCode":"ZONE_NOT_FOUND","reason":"gone"}]}`,
			func(r *photosReader) error { _, err := r.indexing(context.Background(), zone); return err }, ErrNotActivated},
		{"zone", `{"zones":[{"zoneID":{"zoneName":"PrimarySync"},"serverErrorCode":"AUTHENTICATION_FAILED","reason":"no"}]}`,
			func(r *photosReader) error { _, err := r.listZones(context.Background(), dbPrivate); return err }, ErrNotActivated},
		{"visible count", `{"batch":[{"serverErrorCode":"ACCESS_DENIED","reason":"private db access disabled for this account"},{"records":[]},{"records":[]},{"records":[]}]}`,
			func(r *photosReader) error {
				_, failed, err := r.counts(context.Background(), dbPrivate, []Zone{zone})
				if err == nil {
					err = failed[zone.Name]
				}
				return err
			}, ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &photosReader{c: &stubPoster{answers: []string{tt.answer}}, ck: "https://ck.example", sleep: sleepCtx}
			if err := tt.run(r); !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want %v", err, tt.kind)
			}
		})
	}
}

func TestCountsToleratePerEntryErrors(t *testing.T) {
	answer := `{"batch":[` +
		`{"records":[{"recordName":"CPLAssetByAssetDateWithoutHiddenOrDeleted","recordType":"IndexCountResult","fields":{"itemCount":{"value":12,"type":"INT64"}}}]},` +
		`{"records":[{"recordName":"CPLAssetByAddedDate","recordType":"IndexCountResult","fields":{"itemCount":{"value":14,"type":"INT64"}}}]},` +
		`{"serverErrorCode":"BAD_REQUEST","reason":"no such index in this zone"},` +
		`{"records":[]}]}`
	stub := &stubPoster{answers: []string{answer}}
	r := &photosReader{c: stub, ck: "https://ck.example", sleep: sleepCtx}
	got, failed, err := r.counts(context.Background(), dbPrivate, []Zone{{Name: "PrimarySync", Database: dbPrivate}})
	if err != nil || len(failed) != 0 {
		t.Fatal(err, failed)
	}
	if c := got["PrimarySync"]; c != (Counts{Visible: 12, Added: 14, Hidden: -1, Deleted: -1}) {
		t.Errorf("counts = %+v", c)
	}
	if !strings.HasSuffix(stub.urls[0], "/private/internal/records/query/batch?remapEnums=true&getCurrentSyncToken=true") {
		t.Errorf("url = %s", stub.urls[0])
	}
}
