module centrifugo-bench/ecdh-helper

go 1.20
