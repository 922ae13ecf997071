/* plugin/wire: the worker protocol's messages. Everything a worker sends is
 * read with bounds: short, long, oversized, mis-typed and garbled messages
 * are refused as a whole; round trips keep every field exactly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/wire.h"

static unsigned char buf[GD_WIRE_HDR + GD_WIRE_MAX];
static unsigned char rbuf[GD_WIRE_HDR + GD_WIRE_MAX];

static void test_roundtrip(void **state)
{
    (void)state;
    gd_wbuf w;
    gd_rbuf r;
    gd_err err;
    gordon_signal s = GORDON_SIGNAL_INIT, o;
    s.symbol = 3;
    s.action = GORDON_ACTION_ENTRY;
    s.side = GORDON_SIDE_SHORT;
    s.entry = 1.0 / 3.0;
    s.stop_loss = nextafter(2.0, 3.0);
    s.risk_scale = 0.25;
    strcpy(s.tag, "tag with \"quotes\"");
    gordon_bar b = {1, 2, 3.5, 4.5, 2.5, 3.25, -0.0}, b2;
    gd_wb_start(&w, buf, sizeof buf, GD_W_EMIT);
    gd_wb_signal(&w, &s);
    gd_wb_bar(&w, &b);
    gd_wb_str(&w, "hello", 100);
    assert_false(w.bad);
    assert_int_equal(gd_rb_start(&r, buf, w.len, &err), 0);
    assert_int_equal(r.type, GD_W_EMIT);
    gd_rb_signal(&r, &o);
    gd_rb_bar(&r, &b2);
    char str[16];
    gd_rb_str(&r, str, sizeof str);
    assert_int_equal(gd_rb_end(&r, &err), 0);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.symbol, 3);
    assert_int_equal(o.side, GORDON_SIDE_SHORT);
    assert_true(o.entry == s.entry && o.stop_loss == s.stop_loss && o.risk_scale == 0.25);
    assert_string_equal(o.tag, s.tag);
    assert_memory_equal(&b, &b2, sizeof b);
    assert_string_equal(str, "hello");
}

static void test_short_and_trailing(void **state)
{
    (void)state;
    gd_wbuf w;
    gd_rbuf r;
    gd_err err;
    gordon_position p;
    gd_wb_start(&w, buf, sizeof buf, GD_W_REPLY);
    gd_wb_i32(&w, 0);
    gd_wb_f64(&w, 1.0); /* a position cut short */
    gd_rb_start(&r, buf, w.len, &err);
    assert_int_equal(gd_rb_i32(&r), 0);
    gd_rb_position(&r, &p);
    assert_int_equal(gd_rb_end(&r, &err), GD_EPROTO);
    assert_non_null(strstr(err.msg, "malformed reply"));

    gd_wb_start(&w, buf, sizeof buf, GD_W_DONE);
    gd_wb_i64(&w, 0);
    gd_wb_str(&w, "", 10);
    gd_wb_u8(&w, 7); /* one byte too many */
    gd_rb_start(&r, buf, w.len, &err);
    char t[8];
    gd_rb_i64(&r);
    gd_rb_str(&r, t, sizeof t);
    assert_int_equal(gd_rb_end(&r, &err), GD_EPROTO);
    assert_non_null(strstr(err.msg, "1 bytes too many"));
}

static void test_strings(void **state)
{
    (void)state;
    gd_wbuf w;
    gd_rbuf r;
    gd_err err;
    char out[8];
    /* longer than the reader's room */
    gd_wb_start(&w, buf, sizeof buf, GD_W_LOG);
    gd_wb_str(&w, "0123456789", 100);
    gd_rb_start(&r, buf, w.len, &err);
    gd_rb_str(&r, out, sizeof out);
    assert_true(r.bad);
    assert_string_equal(out, "");
    /* an embedded NUL */
    gd_wb_start(&w, buf, sizeof buf, GD_W_LOG);
    gd_wb_u32(&w, 3);
    gd_wb_bytes(&w, "a\0b", 3);
    gd_rb_start(&r, buf, w.len, &err);
    gd_rb_str(&r, out, sizeof out);
    assert_true(r.bad);
    /* a length past the message */
    gd_wb_start(&w, buf, sizeof buf, GD_W_LOG);
    gd_wb_u32(&w, 0xFFFFFFF0u);
    gd_rb_start(&r, buf, w.len, &err);
    gd_rb_str(&r, out, sizeof out);
    assert_true(r.bad);
    assert_int_equal(gd_rb_end(&r, &err), GD_EPROTO);
    /* the writer caps at max */
    gd_wb_start(&w, buf, sizeof buf, GD_W_LOG);
    gd_wb_str(&w, "abcdef", 3);
    gd_rb_start(&r, buf, w.len, &err);
    gd_rb_str(&r, out, sizeof out);
    assert_string_equal(out, "abc");
}

static void test_header(void **state)
{
    (void)state;
    gd_rbuf r;
    gd_err err;
    unsigned char m[16] = {0};
    assert_int_equal(gd_rb_start(&r, m, 4, &err), GD_EPROTO);
    assert_int_equal(gd_rb_start(&r, m, sizeof m, &err), GD_EPROTO);
    assert_non_null(strstr(err.msg, "bad magic"));
    assert_int_equal(gd_rb_start(&r, m, GD_WIRE_HDR + GD_WIRE_MAX + 1, &err), GD_EPROTO);
}

static void test_writer_overflow(void **state)
{
    (void)state;
    gd_wbuf w;
    static unsigned char big[GD_WIRE_MAX];
    gd_wb_start(&w, buf, sizeof buf, GD_W_SNAP_CHUNK);
    gd_wb_bytes(&w, big, GD_WIRE_MAX);
    assert_false(w.bad);
    gd_wb_u8(&w, 1);
    assert_true(w.bad);
    gd_err err;
    assert_int_equal(gd_wire_send(-1, &w, &err), GD_EPROTO);
}

/* Over a real socket pair: an oversized datagram is refused, not cut, and a
 * deadline passes as GD_ETIMEDOUT. */
static void test_transport(void **state)
{
    (void)state;
    int sv[2];
    gd_rbuf r;
    gd_err err;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    assert_int_equal(gd_wire_recv(sv[0], rbuf, 20, &r, &err), GD_ETIMEDOUT);
    static unsigned char huge[GD_WIRE_HDR + GD_WIRE_MAX + 100];
    uint32_t magic = GD_WIRE_MAGIC;
    memcpy(huge, &magic, 4);
    assert_int_equal(send(sv[1], huge, sizeof huge, 0), (ssize_t)sizeof huge);
    assert_int_equal(gd_wire_recv(sv[0], rbuf, 1000, &r, &err), GD_EPROTO);
    assert_non_null(strstr(err.msg, "over the limit"));
    gd_wbuf w;
    gd_wb_start(&w, buf, sizeof buf, GD_W_DONE);
    gd_wb_i64(&w, 42);
    assert_int_equal(gd_wire_send(sv[1], &w, &err), 0);
    assert_int_equal(gd_wire_recv(sv[0], rbuf, 1000, &r, &err), 0);
    assert_int_equal(r.type, GD_W_DONE);
    assert_int_equal(gd_rb_i64(&r), 42);
    close(sv[1]);
    assert_int_equal(gd_wire_recv(sv[0], rbuf, 1000, &r, &err), GD_EIO);
    assert_non_null(strstr(err.msg, "closed"));
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_short_and_trailing),
        cmocka_unit_test(test_strings),         cmocka_unit_test(test_header),
        cmocka_unit_test(test_writer_overflow), cmocka_unit_test(test_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
