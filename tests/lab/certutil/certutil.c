/* TEST-ONLY LAB CODE - never shipped with tslicensing.cal, never on a real host.
 *
 * Wine 8's certutil.exe is a stub (it prints nothing and returns 0), while every real Windows since 7 has
 * `certutil -hashfile FILE [ALGORITHM]` and `certutil -encode INFILE OUTFILE`. The lab puts this program in the
 * prefixes' system32 so that the collection's hash checks and base64 reads run in the lab as on Windows. It
 * implements those two verbs with Windows 10's output:
 *   -hashfile (SHA256 only):
 *     SHA256 hash of C:\path\file:
 *     <64 lowercase hex digits>
 *     CertUtil: -hashfile command completed successfully.
 *   -encode: OUTFILE holds "-----BEGIN CERTIFICATE-----", the base64 of INFILE in lines of 64 characters and
 *     "-----END CERTIFICATE-----", every line ended by CRLF; an existing OUTFILE is not replaced (-f is not
 *     implemented) but fails with ERROR_FILE_EXISTS, as on Windows; the console says
 *     Input Length = <bytes read>
 *     Output Length = <bytes written>
 *     CertUtil: -encode command completed successfully.
 * and a failure (missing file, other algorithm, existing output) as a message and a non-zero exit code.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>

static const uint32_t K[64] = {
    0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
    int i;
    for (i = 0; i < 16; i++) w[i] = (uint32_t)p[4*i] << 24 | (uint32_t)p[4*i+1] << 16 | (uint32_t)p[4*i+2] << 8 | p[4*i+3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
        uint32_t s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
        w[i] = w[i-16] + s0 + w[i-7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; k = h[7];
    for (i = 0; i < 64; i++) {
        t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int not_found(const char *verb) {
    printf("CertUtil: -%s command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)\n"
           "CertUtil: The system cannot find the file specified.\n", verb);
    return -2147024894;
}

static int encode(const char *in_path, const char *out_path) {
    static unsigned char data[4 * 1024 * 1024];
    char line[64 + 3];
    size_t size, i, fill = 0;
    unsigned long long written = 0;
    FILE *in, *out;
    in = fopen(in_path, "rb");
    if (!in) return not_found("encode");
    size = fread(data, 1, sizeof data, in);
    fclose(in);
    out = fopen(out_path, "rb");
    if (out) {
        fclose(out);
        printf("CertUtil: -encode command FAILED: 0x80070050 (WIN32: 80 ERROR_FILE_EXISTS)\n"
               "CertUtil: The file exists.\n");
        return -2147024816;
    }
    out = fopen(out_path, "wb");
    if (!out) return not_found("encode");
    written += fprintf(out, "-----BEGIN CERTIFICATE-----\r\n");
    for (i = 0; i < size; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < size ? (unsigned)data[i + 1] << 8 : 0) |
                     (i + 2 < size ? data[i + 2] : 0);
        line[fill++] = B64[v >> 18 & 63];
        line[fill++] = B64[v >> 12 & 63];
        line[fill++] = i + 1 < size ? B64[v >> 6 & 63] : '=';
        line[fill++] = i + 2 < size ? B64[v & 63] : '=';
        if (fill == 64 || i + 3 >= size) {
            line[fill++] = '\r'; line[fill++] = '\n';
            written += fwrite(line, 1, fill, out);
            fill = 0;
        }
    }
    written += fprintf(out, "-----END CERTIFICATE-----\r\n");
    fclose(out);
    printf("Input Length = %lu\nOutput Length = %llu\nCertUtil: -encode command completed successfully.\n",
           (unsigned long)size, written);
    return 0;
}

int main(int argc, char **argv) {
    uint32_t h[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
    unsigned char buf[128];
    unsigned long long total = 0;
    size_t n, fill = 0;
    FILE *in;
    int i;
    if (argc == 4 && (strcmp(argv[1], "-encode") == 0 || strcmp(argv[1], "/encode") == 0))
        return encode(argv[2], argv[3]);
    if (argc < 3 || (strcmp(argv[1], "-hashfile") != 0 && strcmp(argv[1], "/hashfile") != 0)) {
        printf("CertUtil: lab certutil implements only -hashfile FILE [SHA256] and -encode INFILE OUTFILE\n");
        return 87;
    }
    if (argc > 3 && _stricmp(argv[3], "SHA256") != 0) {
        printf("CertUtil: -hashfile command FAILED: 0x80090008 (-2146893816 NTE_BAD_ALGID)\n");
        return -2146893816;
    }
    in = fopen(argv[2], "rb");
    if (!in) return not_found("hashfile");
    while ((n = fread(buf + fill, 1, 64 - fill, in)) > 0) {
        fill += n; total += n;
        if (fill == 64) { block(h, buf); fill = 0; }
    }
    fclose(in);
    buf[fill++] = 0x80;
    if (fill > 56) { memset(buf + fill, 0, 64 - fill); block(h, buf); fill = 0; }
    memset(buf + fill, 0, 56 - fill);
    for (i = 0; i < 8; i++) buf[56 + i] = (unsigned char)((total * 8) >> (56 - 8 * i));
    block(h, buf);
    printf("SHA256 hash of %s:\n", argv[2]);
    for (i = 0; i < 8; i++) printf("%08x", h[i]);
    printf("\nCertUtil: -hashfile command completed successfully.\n");
    return 0;
}
