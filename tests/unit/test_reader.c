/* The bounds-checked reader: every read is checked by subtraction, errors are sticky, child
 * readers cannot escape their parent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reader.h"

static const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 'a', 'b', 0, 'c'};

static void little_endian_values(void **state)
{
	(void)state;
	ps_rd r;
	ps_rd_init(&r, buf, sizeof(buf), 100);
	assert_int_equal(ps_rd_u8(&r), 0x01);
	assert_int_equal(ps_rd_u16(&r), 0x0302);
	assert_int_equal(ps_rd_u32(&r), 0x07060504u);
	assert_int_equal(ps_rd_offset(&r), 107);
	ps_rd_seek(&r, 0);
	assert_true(ps_rd_u64(&r) == 0x0807060504030201ull);
	assert_true(ps_rd_ok(&r));
}

static void sticky_error_reads_zero(void **state)
{
	(void)state;
	ps_rd r;
	ps_rd_init(&r, buf, 3, 0);
	assert_int_equal(ps_rd_u32(&r), 0); /* 4 > 3: fails */
	assert_false(ps_rd_ok(&r));
	assert_int_equal(ps_rd_u8(&r), 0); /* stays failed although 1 byte would fit */
	assert_int_equal(ps_rd_remaining(&r), 0);
}

static void sub_reader_is_confined(void **state)
{
	(void)state;
	ps_rd r, c;
	ps_rd_init(&r, buf, sizeof(buf), 0);
	assert_true(ps_rd_sub(&r, 4, 4, &c));
	assert_int_equal(c.origin, 4);
	assert_int_equal(ps_rd_u32(&c), 0x08070605u);
	assert_int_equal(ps_rd_u8(&c), 0); /* would be buf[8] in the parent */
	assert_false(ps_rd_ok(&c));
	assert_true(ps_rd_ok(&r));
	/* offsets and lengths that would overflow an addition */
	assert_false(ps_rd_sub(&r, SIZE_MAX, 2, &c));
	assert_false(ps_rd_sub(&r, 2, SIZE_MAX, &c));
	assert_false(ps_rd_sub(&r, sizeof(buf) + 1, 0, &c));
	assert_true(ps_rd_sub(&r, sizeof(buf), 0, &c)); /* empty view at the end is fine */
	assert_false(ps_rd_tail(&r, sizeof(buf) + 1, &c));
}

static void skip_seek_bounds(void **state)
{
	(void)state;
	ps_rd r;
	ps_rd_init(&r, buf, sizeof(buf), 0);
	assert_true(ps_rd_skip(&r, sizeof(buf)));
	assert_false(ps_rd_skip(&r, 1));
	ps_rd_init(&r, buf, sizeof(buf), 0);
	assert_false(ps_rd_seek(&r, sizeof(buf) + 1));
	ps_rd_init(&r, buf, sizeof(buf), 0);
	assert_false(ps_rd_skip(&r, SIZE_MAX));
}

static void peek_does_not_move(void **state)
{
	(void)state;
	ps_rd r;
	uint32_t v;
	uint16_t w;
	ps_rd_init(&r, buf, sizeof(buf), 0);
	assert_true(ps_rd_peek_u32(&r, 6, &v));
	assert_int_equal(v, 0x0a090807u);
	assert_false(ps_rd_peek_u32(&r, 11, &v));
	assert_int_equal(v, 0);
	assert_false(ps_rd_peek_u16(&r, SIZE_MAX, &w));
	assert_int_equal(ps_rd_tell(&r), 0);
	assert_true(ps_rd_ok(&r));
}

static void c_strings(void **state)
{
	(void)state;
	ps_rd r;
	const uint8_t *s;
	size_t n;
	bool term;
	ps_rd_init(&r, buf, sizeof(buf), 0);
	ps_rd_seek(&r, 10);
	assert_true(ps_rd_cstr(&r, 100, &s, &n, &term));
	assert_true(term);
	assert_int_equal(n, 2);
	assert_memory_equal(s, "ab", 2);
	/* unterminated at the end of the view: what remains, flagged */
	assert_false(ps_rd_cstr(&r, 100, &s, &n, &term));
	assert_false(term);
	assert_int_equal(n, 1);
	/* the max stops the scan */
	ps_rd_seek(&r, 0);
	assert_true(ps_rd_cstr(&r, 4, &s, &n, &term));
	assert_false(term);
	assert_int_equal(n, 4);
}

static void checked_arithmetic(void **state)
{
	(void)state;
	uint64_t out;
	assert_true(ps_add_ok(1, 2, &out));
	assert_int_equal(out, 3);
	assert_false(ps_add_ok(UINT64_MAX, 1, &out));
	assert_false(ps_mul_ok(UINT64_MAX / 2, 3, &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(little_endian_values), cmocka_unit_test(sticky_error_reads_zero),
		cmocka_unit_test(sub_reader_is_confined), cmocka_unit_test(skip_seek_bounds),
		cmocka_unit_test(peek_does_not_move),     cmocka_unit_test(c_strings),
		cmocka_unit_test(checked_arithmetic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
