package fakeicloud

import (
	"encoding/json"
	"testing"
)

func TestBootArgsShapes(t *testing.T) {
	for _, bridge := range []bool{false, true} {
		s := &Server{sc: Scenario{BridgeBootArgs: bridge, HasTrustedDevices: true, Phones: []Phone{{ID: 4, Number: "(•••) •••-••12"}}}}
		b, err := json.Marshal(s.bootArgs())
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Direct struct {
				AuthInitialRoute string
				TwoSV            struct {
					PhoneNumberVerification *struct{ TrustedPhoneNumbers []map[string]any }
					BridgeInitiateData      *struct {
						PhoneNumberVerification struct{ TrustedPhoneNumbers []map[string]any }
					}
				}
			}
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		tw := v.Direct.TwoSV
		switch {
		case bridge && (tw.BridgeInitiateData == nil || len(tw.BridgeInitiateData.PhoneNumberVerification.TrustedPhoneNumbers) != 1 ||
			tw.PhoneNumberVerification != nil || v.Direct.AuthInitialRoute != "auth/bridge/step"):
			t.Errorf("2026 shape wrong: %s", b)
		case !bridge && (tw.PhoneNumberVerification == nil || len(tw.PhoneNumberVerification.TrustedPhoneNumbers) != 1 || tw.BridgeInitiateData != nil):
			t.Errorf("old shape wrong: %s", b)
		}
	}
}
