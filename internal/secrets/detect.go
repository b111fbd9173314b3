package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Match is a credential found in a value: what kind it is and a redacted
// hint. It never holds the value itself.
type Match struct {
	// Kind says what was recognised, e.g. "private key", "AWS access key
	// ID", or "credential" for a value recognised by the name it is
	// stored under.
	Kind string
	// Hint is the redacted value (see Hint).
	Hint string
	// Start is the byte offset of the credential in the value searched.
	Start int
}

// Hint returns a redacted form of a credential: its first two characters
// and its length, e.g. "hu… (7 chars)". Values of 8 characters or fewer
// show no character at all.
func Hint(v string) string {
	n := utf8.RuneCountInString(v)
	if n <= 8 {
		return "(" + itoa(n) + " chars)"
	}
	r := []rune(v)
	return string(r[:2]) + "… (" + itoa(n) + " chars)"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// formats are credential formats recognised by value alone, whatever the
// name they are stored under. Each has a fixed, distinctive shape; check
// rejects documentation examples and placeholders of that shape.
var formats = []struct {
	kind string
	// marks are substrings one of which any match contains: a cheap test
	// before the regular expression.
	marks []string
	re    func() *regexp.Regexp
	check func(m string) bool
}{
	{"private key", []string{"PRIVATE KEY"}, lazyRegexp(`-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END|$)`), pemBody},
	{"AWS access key ID", []string{"AKIA", "ASIA", "ABIA", "ACCA"}, lazyRegexp(`\b(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`), func(m string) bool { return !strings.Contains(m, "EXAMPLE") && randomish(m[4:], 3.0) }},
	{"GitHub token", []string{"gh", "github_pat_"}, lazyRegexp(`\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`), func(m string) bool { return randomish(m[strings.IndexByte(m, '_')+1:], 3.5) }},
	{"GitLab token", []string{"glpat-"}, lazyRegexp(`\bglpat-[A-Za-z0-9_-]{20,}\b`), func(m string) bool { return randomish(m[6:], 3.5) }},
	{"Slack token", []string{"xox"}, lazyRegexp(`\bxox[abposr]-[0-9A-Za-z-]{10,}\b`), func(m string) bool { return randomish(m[5:], 3.0) }},
	{"Slack webhook URL", []string{"hooks.slack.com"}, lazyRegexp(`https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}`), func(m string) bool { return randomish(m[strings.LastIndexByte(m, '/')+1:], 3.0) }},
	{"Google API key", []string{"AIza"}, lazyRegexp(`\bAIza[0-9A-Za-z_-]{35}\b`), func(m string) bool { return randomish(m[4:], 3.5) }},
	{"Stripe secret key", []string{"k_live_"}, lazyRegexp(`\b[sr]k_live_[0-9A-Za-z]{20,}\b`), func(m string) bool { return randomish(m[8:], 3.5) }},
	{"JSON Web Token", []string{"eyJ"}, lazyRegexp(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`), jwt},
	{"URL with a password", []string{"@"}, lazyRegexp(`\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'"]+:[^\s@/'"]+@[^\s/'"]+`), basicAuthURL},
}

// lazyRegexp compiles pattern when first used: every kubeward command
// links this package, and compiling these expressions at start-up cost
// about 4 ms, which a scan with no secrets/ rule would pay for nothing.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// FindFormat returns the first credential format found in v.
func FindFormat(v string) (Match, bool) {
	if len(v) < 16 {
		return Match{}, false
	}
	for _, f := range formats {
		if !containsAny(v, f.marks) {
			continue
		}
		for _, loc := range f.re().FindAllStringIndex(v, 4) {
			m := v[loc[0]:loc[1]]
			if f.check(m) {
				return Match{Kind: f.kind, Hint: Hint(m), Start: loc[0]}, true
			}
		}
	}
	return Match{}, false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// pemBody accepts a private key block whose body is long and random enough
// to be a key, not "..." or a truncated example.
func pemBody(m string) bool {
	body := m
	if i := strings.Index(m, "KEY-----"); i >= 0 {
		body = m[i+len("KEY-----"):]
	}
	if i := strings.Index(body, "-----END"); i >= 0 {
		body = body[:i]
	}
	var b strings.Builder
	for _, r := range body {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '/' || r == '=') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	return len(s) >= 64 && randomish(s, 4.0)
}

// jwt accepts three base64url parts whose header decodes to a JSON object
// naming an algorithm.
func jwt(m string) bool {
	header, _, _ := strings.Cut(m, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	var h map[string]any
	if json.Unmarshal(raw, &h) != nil {
		return false
	}
	_, ok := h["alg"]
	return ok
}

// basicAuthURL accepts a URL whose password is neither a placeholder nor a
// reference to a variable.
func basicAuthURL(m string) bool {
	u, err := url.Parse(strings.TrimRight(m, ".,;)"))
	if err != nil || u.User == nil {
		return false
	}
	p, ok := u.User.Password()
	return ok && !Placeholder(p) && !Placeholder(u.User.Username()+":"+p) && len(p) >= 4
}

// Entropy returns the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// randomish reports whether s looks generated: its entropy is at least
// min bits per character, or close to the most its length allows (a short
// string cannot reach high entropy).
func randomish(s string, min float64) bool {
	if len(s) == 0 {
		return false
	}
	h := Entropy(s)
	if most := math.Log2(float64(len(s))); most < min+0.5 {
		return h >= most-1.0
	}
	return h >= min
}

// placeholders are values people write instead of a credential.
var placeholders = map[string]bool{
	"changeme": true, "change-me": true, "change_me": true, "changeit": true, "password": true,
	"secret": true, "example": true, "placeholder": true, "dummy": true, "redacted": true,
	"none": true, "null": true, "nil": true, "todo": true, "tbd": true, "fixme": true, "replaceme": true,
	"replace-me": true, "replace_me": true, "yourpassword": true, "your-password": true, "your_password": true,
	"mypassword": true, "my-password": true, "xxx": true, "token": true, "secretkey": true, "your-token": true,
	"your_token": true, "yourtoken": true, "notasecret": true, "not-a-secret": true, "true": true, "false": true,
	"test": true, "testing": true, "default": true, "pass": true, "passwd": true, "foobar": true, "foo": true, "bar": true,
	"admin": true, "user": true, "username": true, "empty": true, "unset": true, "undefined": true, "insert-here": true,
}

// Placeholder reports whether v stands for a credential rather than being
// one: empty, a well-known placeholder (changeme, <password>, your-token,
// xxxx, ****), a reference to a variable or a template (${PASSWORD},
// $(PASSWORD), {{ .Values.password }}, %PASSWORD%, __TOKEN__, `cmd`), or
// a file path.
func Placeholder(v string) bool {
	v = strings.TrimSpace(v)
	v = strings.Trim(v, `"'`)
	if v == "" {
		return true
	}
	l := strings.ToLower(v)
	if placeholders[l] || placeholders[strings.Trim(l, "<>[]{}_-.")] {
		return true
	}
	// Markers of a stand-in value anywhere in it.
	for _, s := range []string{"${", "$(", "{{", "<", ">", "changeme", "change_me", "change-me", "example", "placeholder", "replace", "your-", "your_", "redacted", "dummy", "xxxx", "****", "...", "…", "insert", "fake", "sample"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	// Variables, command substitution and template markers of build
	// tools: $VAR, %VAR%, `cmd`, __TOKEN__, @TOKEN@.
	if l[0] == '$' || l[0] == '`' || len(l) > 2 && (l[0] == '%' && l[len(l)-1] == '%' || l[0] == '@' && l[len(l)-1] == '@' || strings.HasPrefix(l, "__") && strings.HasSuffix(l, "__")) {
		return true
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") || strings.HasPrefix(v, "file:") {
		return true
	}
	// One character repeated: xxxxxxxx, 00000000, ********.
	if strings.Count(v, v[:1]) == len(v) {
		return true
	}
	return false
}

// credWords are name tokens that say a value is a credential.
var credWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true, "secret": true,
	"token": true, "apikey": true, "credential": true, "credentials": true, "creds": true, "privatekey": true,
	"accesskey": true, "secretkey": true, "authkey": true, "signingkey": true, "encryptionkey": true, "clientsecret": true,
	"sessionkey": true, "masterkey": true, "dsn": true, "bearer": true,
}

// keyQualifiers make "key" a credential word when they precede it (API
// key, private key, access key), and "auth" when followed by token words.
var keyQualifiers = map[string]bool{
	"api": true, "private": true, "access": true, "secret": true, "auth": true, "signing": true,
	"encryption": true, "client": true, "master": true, "session": true, "ssh": true, "license": true,
	"webhook": true, "hmac": true, "jwt": true, "aws": true, "app": true, "service": true, "account": true,
}

// metaWords end names that describe a credential without holding it:
// DB_PASSWORD_FILE, TOKEN_TTL, SECRET_NAME, PASSWORD_MIN_LENGTH.
var metaWords = map[string]bool{
	"file": true, "files": true, "path": true, "paths": true, "dir": true, "directory": true, "name": true, "names": true,
	"url": true, "uri": true, "endpoint": true, "host": true, "port": true, "length": true, "len": true, "size": true,
	"ttl": true, "expiry": true, "expiration": true, "expires": true, "timeout": true, "lifetime": true, "duration": true,
	"interval": true, "period": true, "ref": true, "reference": true, "type": true, "mode": true, "enabled": true,
	"enable": true, "disabled": true, "disable": true, "algorithm": true, "alg": true, "header": true, "field": true,
	"policy": true, "count": true, "prefix": true, "suffix": true, "version": true, "format": true, "location": true,
	"namespace": true, "mount": true, "mountpath": true, "id": true, "ids": true, "env": true, "var": true,
	"store": true, "provider": true, "source": true, "kind": true, "secretref": true, "required": true, "min": true,
	"max": true, "rotation": true, "refresh": true, "audience": true, "issuer": true, "scope": true, "scopes": true,
	"hash": true, "hashed": true, "encrypted": true, "sha256": true, "bcrypt": true, "pattern": true, "regex": true,
	"strength": true, "complexity": true, "reset": true, "retries": true, "attempts": true, "cache": true, "dest": true,
	"username": true, "user": true, "login": true, "email": true, "template": true, "config": true, "class": true,
}

// Words splits a name into lower-case words at separators and camel-case
// boundaries: "dbPassword_FILE" → db, password, file.
func Words(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// CredentialName reports whether name says its value is a credential:
// one of its words is a credential word (password, token, secret,
// credential, apikey…), or "key" qualified (API key, private key, access
// key), and its last word does not describe the credential instead of
// holding it (a _FILE, _NAME, _TTL, _LENGTH suffix).
func CredentialName(name string) bool {
	if !mayNameCredential(name) {
		return false
	}
	ws := Words(name)
	if len(ws) == 0 {
		return false
	}
	if metaWords[ws[len(ws)-1]] {
		return false
	}
	for i, w := range ws {
		if credWords[w] {
			return true
		}
		if w == "key" && i > 0 && keyQualifiers[ws[i-1]] {
			return true
		}
		// Joined words: "secretkey", "apitoken", "dbpassword".
		for _, suffix := range []string{"password", "passwd", "secret", "token", "apikey", "privatekey"} {
			if len(w) > len(suffix) && strings.HasSuffix(w, suffix) {
				return true
			}
		}
	}
	return false
}

// mayNameCredential is a cheap test that name could be a credential name:
// it holds a fragment of a credential word, in any case.
func mayNameCredential(name string) bool {
	var buf [64]byte
	if len(name) > len(buf) {
		return true
	}
	l := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		l[i] = c
	}
	for _, frag := range []string{"pass", "pwd", "secret", "token", "key", "cred", "dsn", "bearer"} {
		if bytes.Contains(l, []byte(frag)) {
			return true
		}
	}
	return false
}

// valueLooksSecret reports whether a value stored under a credential name
// can be the credential: not a placeholder, not prose, not a bare number
// or boolean, and not too short.
func valueLooksSecret(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 6 || len(v) > 4096 || Placeholder(v) || sequential(v) {
		return false
	}
	if strings.Count(v, " ") >= 2 || strings.ContainsAny(v, "\n") {
		return false
	}
	digits := true
	for _, r := range v {
		if r < '0' || r > '9' {
			digits = false
			break
		}
	}
	if digits && len(v) < 12 {
		return false
	}
	// A URL without a password (a token endpoint) is not the credential.
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		return false
	}
	// A Kubernetes duration or a plain word such as "enabled".
	return randomish(v, 2.5)
}

// Credential returns the credential in the value v stored under name:
// a known format anywhere in v, or a non-placeholder value under a
// credential name.
func Credential(name, v string) (Match, bool) {
	if m, ok := FindFormat(v); ok {
		return m, true
	}
	if namedCredential(name, v) {
		return Match{Kind: "credential", Hint: Hint(strings.TrimSpace(v))}, true
	}
	return Match{}, false
}

// namedCredential reports whether v, stored under name, is a credential
// by its name: a credential name, a value that can be one, and not the
// name of a Secret (EXISTING_SECRET=db-credentials).
func namedCredential(name, v string) bool {
	if !CredentialName(name) || !valueLooksSecret(v) {
		return false
	}
	if dns1123.MatchString(v) && strings.ContainsAny(v, "-.") {
		for _, w := range Words(name) {
			if w == "secret" || w == "existing" {
				return false
			}
		}
	}
	return true
}

// dns1123 matches a Kubernetes object name (DNS-1123 subdomain).
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// sequential reports whether s holds a run of six or more consecutive
// ascending characters (123456, abcdef), the mark of example values.
func sequential(s string) bool {
	run := 1
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1]+1 && (s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
			run++
			if run >= 6 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}
