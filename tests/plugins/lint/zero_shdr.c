/* Copies an ELF file and zeroes its section header fields (e_shoff,
 * e_shnum, e_shstrndx), as an attacker does to blind a reader of section
 * headers: the dynamic loader never reads them, so the copy still loads.
 * usage: zero_shdr IN OUT */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned char *buf = NULL;
    Elf64_Ehdr eh;
    FILE *in = NULL, *out = NULL;
    long len;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: zero_shdr IN OUT\n");
        return 2;
    }
    in = fopen(argv[1], "rb");
    if (!in || fseek(in, 0, SEEK_END) != 0 || (len = ftell(in)) < (long)sizeof eh || fseek(in, 0, SEEK_SET) != 0) {
        fprintf(stderr, "zero_shdr: %s: cannot read an ELF header\n", argv[1]);
        goto out;
    }
    buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, in) != (size_t)len) {
        fprintf(stderr, "zero_shdr: %s: read failed\n", argv[1]);
        goto out;
    }
    memcpy(&eh, buf, sizeof eh);
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    eh.e_shstrndx = 0;
    memcpy(buf, &eh, sizeof eh);
    out = fopen(argv[2], "wb");
    if (!out || fwrite(buf, 1, (size_t)len, out) != (size_t)len) {
        fprintf(stderr, "zero_shdr: %s: write failed\n", argv[2]);
        goto out;
    }
    rc = 0;
out:
    if (out && fclose(out) != 0)
        rc = 1;
    if (in)
        fclose(in);
    free(buf);
    return rc;
}
