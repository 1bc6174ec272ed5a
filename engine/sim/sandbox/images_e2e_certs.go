package sandbox

// A self-signed localhost pair generated for the simulator (not the image's own), standing in
// for agnhost's /localhost.crt and /localhost.key: the e2e specs only read and move them.
const e2eLocalhostCert = `-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUF6nrefye6qtxIzFMi9EaNRw53F8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNzAzNTg1MFoYDzIxMjYxMTEz
MDM1ODUwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQSJgeREvZrgorRxd+GfUwWa/En9BBZfySupJPyp/J+WJ1rODAqa4E9
fuTkbH1LXj/1bXHFcgpGFVunGTFhHyY9o1MwUTAdBgNVHQ4EFgQUTPTrX/ZW3CE3
8b5W/Sq5K/u0KZcwHwYDVR0jBBgwFoAUTPTrX/ZW3CE38b5W/Sq5K/u0KZcwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAzcsqu6zI6oQYm4TJLt+S
Zj4NtWOztSJzWyT0ryVQ9YwCIQCtP4uf5wepxCMc24p39kMozuXhQSIYam21cJZR
0lTAjA==
-----END CERTIFICATE-----
`

const e2eLocalhostKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaI7Mevmxs5GuR2bK
xzlA2jxjDSPt7QWievQk/Ux1SvuhRANCAAQSJgeREvZrgorRxd+GfUwWa/En9BBZ
fySupJPyp/J+WJ1rODAqa4E9fuTkbH1LXj/1bXHFcgpGFVunGTFhHyY9
-----END PRIVATE KEY-----
`
