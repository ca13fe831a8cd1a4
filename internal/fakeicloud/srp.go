package fakeicloud

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"math/big"
)

// Server side of Apple's SRP-6a variant (RFC 5054 2048-bit group, SHA-256,
// x = H(salt | H(":" | P)), M1 = H(H(N) xor H(PAD(g)) | H(I) | salt | A | B | K),
// M2 = H(A | M1 | K)). Written independently of the client in icloudapi.

const srpNHex = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73"

var (
	srpN, _ = new(big.Int).SetString(srpNHex, 16)
	srpG    = big.NewInt(2)
	srpLen  = 256
	srpK    = new(big.Int).SetBytes(hashOf(srpN.Bytes(), pad(srpG)))
)

func hashOf(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func pad(x *big.Int) []byte { return x.FillBytes(make([]byte, srpLen)) }

// verifier derives v = g^x for the password as Apple stores it.
func verifier(password, protocol string, salt []byte, iterations int) (*big.Int, error) {
	x, err := xOf(password, protocol, salt, iterations)
	if err != nil {
		return nil, err
	}
	return new(big.Int).Exp(srpG, x, srpN), nil
}

// xOf is x = H(salt | H(":" | P)) with P from s2k or s2k_fo.
func xOf(password, protocol string, salt []byte, iterations int) (*big.Int, error) {
	sum := sha256.Sum256([]byte(password))
	input := sum[:]
	if protocol == "s2k_fo" {
		input = []byte(hex.EncodeToString(sum[:]))
	}
	p, err := pbkdf2.Key(sha256.New, string(input), salt, iterations, 32)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(hashOf(salt, hashOf([]byte(":"), p))), nil
}

// srpSession is one init→complete exchange.
type srpSession struct {
	account string
	salt    []byte
	a, b    *big.Int // client public A, server secret b
	pubB    *big.Int
	v       *big.Int
}

// newSRPSession draws b; with leadingZero the public B starts with 0x00.
func newSRPSession(account string, salt []byte, v, pubA *big.Int, leadingZero bool) (*srpSession, error) {
	if new(big.Int).Mod(pubA, srpN).Sign() == 0 {
		return nil, errors.New("public value A mod N is zero")
	}
	for {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		b := new(big.Int).SetBytes(raw)
		pubB := new(big.Int).Exp(srpG, b, srpN)
		pubB.Add(pubB, new(big.Int).Mul(srpK, v)).Mod(pubB, srpN)
		short := len(pubB.Bytes()) < srpLen
		if short == leadingZero {
			return &srpSession{account: account, salt: salt, a: pubA, b: b, pubB: pubB, v: v}, nil
		}
	}
}

// premaster is S = (A·v^u)^b mod N.
func (s *srpSession) premaster() *big.Int {
	u := new(big.Int).SetBytes(hashOf(pad(s.a), pad(s.pubB)))
	base := new(big.Int).Exp(s.v, u, srpN)
	base.Mul(base, s.a).Mod(base, srpN)
	return new(big.Int).Exp(base, s.b, srpN)
}

// proofs computes the M1 and M2 the client must send.
func (s *srpSession) proofs() (m1, m2 []byte) {
	k := hashOf(s.premaster().Bytes())
	hn, hg := hashOf(srpN.Bytes()), hashOf(pad(srpG))
	for i := range hn {
		hn[i] ^= hg[i]
	}
	m1 = hashOf(hn, hashOf([]byte(s.account)), s.salt, s.a.Bytes(), s.pubB.Bytes(), k)
	m2 = hashOf(s.a.Bytes(), m1, k)
	return m1, m2
}

// verify reports whether the client's proofs are right, in constant time.
func (s *srpSession) verify(m1, m2 []byte) bool {
	want1, want2 := s.proofs()
	ok1 := subtle.ConstantTimeCompare(m1, want1)
	ok2 := subtle.ConstantTimeCompare(m2, want2)
	return ok1&ok2 == 1
}
