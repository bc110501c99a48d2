// ecdh-helper: the push relay's P-256 ECDH for Web Push (RFC 8291 §3.1), off Node 20's bundled OpenSSL,
// which runs without its fast P-256 paths on this kind of machine (~130 µs of CPU per key pair + shared
// secret against ~80 µs here on Go's crypto/ecdh; README "Web Push ECDH helper").
//
// Protocol (stdin → stdout, binary, no framing beyond fixed sizes): the relay writes user agents' public
// keys, 65 bytes each (uncompressed points); for each, in order, the helper answers 97 bytes: a fresh
// sender public key (65 bytes) then the ECDH shared secret (32 bytes). A key that is not a valid P-256
// point is answered with 97 zero bytes (a sender key never starts with 0x00). Answers are flushed whenever
// the input read so far is used up, so a batch written in one go comes back in one go.
//
// A fresh key pair per message: RFC 8291 §3.1 has the application server generate a new ECDH key pair for
// every message; reusing one across a batch would derive the same IKM for every message to a subscription.
//
// The helper exits on end of input, which is also what it sees when the relay process dies (its pipe
// closes); on Linux it also asks for SIGKILL when its parent exits, so it never outlives the relay.
package main

import (
	"bufio"
	"crypto/ecdh"
	"crypto/rand"
	"io"
	"os"
	"syscall"
)

const (
	keySize    = 65
	secretSize = 32
)

func main() {
	// PR_SET_PDEATHSIG(SIGKILL): belt and braces next to end-of-input (a relay stuck without closing stdin).
	// A parent that died before this call has closed the pipe already: the first read sees end of input.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	curve := ecdh.P256()
	in := bufio.NewReaderSize(os.Stdin, 64*1024)
	out := bufio.NewWriterSize(os.Stdout, 128*1024)
	var key [keySize]byte
	var zero [keySize + secretSize]byte
	for {
		if _, err := io.ReadFull(in, key[:]); err != nil {
			out.Flush()
			return // EOF: the relay closed the pipe or died
		}
		if !answer(curve, key[:], out) {
			out.Write(zero[:])
		}
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return
			}
		}
	}
}

func answer(curve ecdh.Curve, uaKey []byte, out *bufio.Writer) bool {
	peer, err := curve.NewPublicKey(uaKey)
	if err != nil {
		return false
	}
	sender, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return false
	}
	secret, err := sender.ECDH(peer)
	if err != nil {
		return false
	}
	out.Write(sender.PublicKey().Bytes())
	out.Write(secret)
	return true
}
