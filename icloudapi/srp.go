package icloudapi

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Apple's SRP-6a variant as used by idmsa (pysrp with rfc5054 as called by
// icloudpd; kei src/auth/srp.rs; rclone backend/iclouddrive/api/srp.go):
// RFC 5054 2048-bit group, g = 2, SHA-256, k = H(N | PAD(g)),
// u = H(PAD(A) | PAD(B)), x = H(salt | H(":" | P)) (no username in x),
// K = H(S), M1 = H(H(N) xor H(PAD(g)) | H(I) | salt | A | B | K),
// M2 = H(A | M1 | K). P is PBKDF2-SHA256 of SHA-256(password) (s2k) or of
// its lower-case hex (s2k_fo).
//
// Implementations disagree on whether A, B and S are padded to 256 bytes
// when hashed. The client sidesteps that: A is always drawn full width, and
// a B or S with a leading zero byte aborts the attempt before any proof is
// sent (errSRPLeadingZero), so the caller starts again at signin/init.

const srpNHex = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73"

const (
	srpWidth      = 256
	maxIterations = 1_000_000
)

var (
	srpN, _ = new(big.Int).SetString(srpNHex, 16)
	srpG    = big.NewInt(2)
	srpK    = new(big.Int).SetBytes(sha(srpN.Bytes(), padded(srpG)))
)

// errSRPLeadingZero means a value would hash differently under the padded
// and unpadded conventions; start over at signin/init.
var errSRPLeadingZero = errors.New("SRP value with a leading zero byte")

func sha(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func padded(x *big.Int) []byte { return x.FillBytes(make([]byte, srpWidth)) }

// derivePassword computes P for the protocol chosen by the server.
func derivePassword(password, protocol string, salt []byte, iterations int) ([]byte, error) {
	if iterations < 1 || iterations > maxIterations {
		return nil, fmt.Errorf("SRP iteration count %d out of range", iterations)
	}
	sum := sha256.Sum256([]byte(password))
	var input []byte
	switch protocol {
	case "s2k":
		input = sum[:]
	case "s2k_fo":
		input = []byte(hex.EncodeToString(sum[:]))
	default:
		return nil, fmt.Errorf("unknown SRP protocol %q", protocol)
	}
	return pbkdf2.Key(sha256.New, string(input), salt, iterations, 32)
}

// srpClient is the client side of one init→complete exchange.
type srpClient struct {
	account string
	a, pubA *big.Int
}

// newSRPClient draws a 32-byte secret until A = g^a mod N is full width.
func newSRPClient(account string, rnd io.Reader) (*srpClient, error) {
	for {
		raw := make([]byte, 32)
		if _, err := io.ReadFull(rnd, raw); err != nil {
			return nil, err
		}
		c, err := srpClientWithSecret(account, raw)
		if err == nil {
			return c, nil
		}
	}
}

// srpClientWithSecret is newSRPClient with a fixed secret (tests); it fails
// when A would not be full width.
func srpClientWithSecret(account string, secret []byte) (*srpClient, error) {
	a := new(big.Int).SetBytes(secret)
	pubA := new(big.Int).Exp(srpG, a, srpN)
	if len(pubA.Bytes()) != srpWidth {
		return nil, errSRPLeadingZero
	}
	return &srpClient{account: account, a: a, pubA: pubA}, nil
}

// publicA is A as sent in signin/init (256 bytes).
func (c *srpClient) publicA() []byte { return c.pubA.Bytes() }

// proofs computes M1 and M2 from the server's salt and B and the derived
// password P. It refuses unsafe or ambiguous values before anything is sent.
func (c *srpClient) proofs(salt, bBytes, p []byte) (m1, m2 []byte, err error) {
	pubB := new(big.Int).SetBytes(bBytes)
	if pubB.Sign() <= 0 || pubB.Cmp(srpN) >= 0 {
		return nil, nil, errors.New("server sent an invalid SRP B")
	}
	if len(bBytes) != srpWidth || bBytes[0] == 0 {
		return nil, nil, errSRPLeadingZero
	}
	m1, m2, sLen, err := c.rawProofs(salt, pubB, p)
	if err != nil {
		return nil, nil, err
	}
	if sLen != srpWidth {
		return nil, nil, errSRPLeadingZero
	}
	return m1, m2, nil
}

// rawProofs is the arithmetic without the leading-zero guards: A, B and S
// are hashed as minimal big-endian bytes. sLen is the length of S.
func (c *srpClient) rawProofs(salt []byte, pubB *big.Int, p []byte) (m1, m2 []byte, sLen int, err error) {
	u := new(big.Int).SetBytes(sha(padded(c.pubA), padded(pubB)))
	if u.Sign() == 0 {
		return nil, nil, 0, errors.New("SRP u is zero")
	}
	x := new(big.Int).SetBytes(sha(salt, sha([]byte(":"), p)))
	base := new(big.Int).Exp(srpG, x, srpN)
	base.Mul(base, srpK).Sub(pubB, base).Mod(base, srpN)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	s := new(big.Int).Exp(base, exp, srpN).Bytes()
	m1, m2 = c.m(salt, pubB, sha(s))
	return m1, m2, len(s), nil
}

func (c *srpClient) m(salt []byte, pubB *big.Int, k []byte) (m1, m2 []byte) {
	hn, hg := sha(srpN.Bytes()), sha(padded(srpG))
	for i := range hn {
		hn[i] ^= hg[i]
	}
	m1 = sha(hn, sha([]byte(c.account)), salt, c.pubA.Bytes(), pubB.Bytes(), k)
	return m1, sha(c.pubA.Bytes(), m1, k)
}

// randReader is the randomness source (a variable for tests).
var randReader io.Reader = rand.Reader
