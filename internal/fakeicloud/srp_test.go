package fakeicloud

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"
)

// clientProofs is the client side of the exchange, computed here so the
// test does not depend on the icloudapi package.
func clientProofs(t *testing.T, sess *srpSession, a *big.Int, password, protocol string, iterations int) (m1, m2 []byte) {
	t.Helper()
	x, err := xOf(password, protocol, sess.salt, iterations)
	if err != nil {
		t.Fatal(err)
	}
	u := new(big.Int).SetBytes(hashOf(pad(sess.a), pad(sess.pubB)))
	gx := new(big.Int).Exp(srpG, x, srpN)
	base := new(big.Int).Sub(sess.pubB, new(big.Int).Mul(srpK, gx))
	base.Mod(base, srpN)
	e := new(big.Int).Add(a, new(big.Int).Mul(u, x))
	k := hashOf(new(big.Int).Exp(base, e, srpN).Bytes())
	hn, hg := hashOf(srpN.Bytes()), hashOf(pad(srpG))
	for i := range hn {
		hn[i] ^= hg[i]
	}
	m1 = hashOf(hn, hashOf([]byte(sess.account)), sess.salt, sess.a.Bytes(), sess.pubB.Bytes(), k)
	return m1, hashOf(sess.a.Bytes(), m1, k)
}

func TestServerSRPVerifiesProofs(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, protocol := range []string{"s2k", "s2k_fo"} {
		v, err := verifier("hunter2", protocol, salt, 100)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
		pubA := new(big.Int).Exp(srpG, a, srpN)
		sess, err := newSRPSession("a@example.com", salt, v, pubA, false)
		if err != nil {
			t.Fatal(err)
		}
		m1, m2 := clientProofs(t, sess, a, "hunter2", protocol, 100)
		if !sess.verify(m1, m2) {
			t.Fatalf("%s: right password rejected", protocol)
		}
		bad := bytes.Clone(m2)
		bad[0] ^= 1
		if sess.verify(m1, bad) {
			t.Fatalf("%s: wrong M2 accepted", protocol)
		}
		w1, w2 := clientProofs(t, sess, a, "hunter3", protocol, 100)
		if sess.verify(w1, w2) {
			t.Fatalf("%s: wrong password accepted", protocol)
		}
	}
}

func TestLeadingZeroB(t *testing.T) {
	v, _ := verifier("pw", "s2k", []byte("salt"), 10)
	sess, err := newSRPSession("a", []byte("salt"), v, big.NewInt(12345), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.pubB.Bytes()) >= 256 {
		t.Fatal("B has no leading zero byte")
	}
	if _, err := newSRPSession("a", nil, v, new(big.Int).Set(srpN), false); err == nil {
		t.Fatal("A = N accepted")
	}
}
