/*
 * truth.c - rc_is_true, Python's truth value: None, False, zero numbers and
 * empty str/bytes/views/containers are false, everything else is true.
 */
#include "types.h"

int rc_is_true(const void *op) {
    if (!op)
        return rc_error_set(RC_ERR_INVALID, "rc_is_true: NULL object");
    const rc_object *o = op;
    if (o == rc_None || o == rc_False)
        return 0;
    if (o == rc_True)
        return 1;
    if (RC_TYPE_CHECK(o, rc_int_type))
        return ((const rc_int *)o)->value != 0;
    if (RC_TYPE_CHECK(o, rc_float_type))
        return ((const rc_float *)o)->value != 0.0;
    if (o->type->flags & RC_TYPE_VAR)       /* str, bytes, tuple */
        return ((const rc_varobject *)o)->size != 0;
    if (RC_TYPE_CHECK(o, rc_list_type))
        return rc_list_size(o) != 0;
    if (RC_TYPE_CHECK(o, rc_dict_type))
        return rc_dict_size(o) != 0;
    if (RC_TYPE_CHECK(o, rc_set_type))
        return rc_set_size(o) != 0;
    if (RC_TYPE_CHECK(o, rc_bytesview_type))
        return rc_bytes_len(o) != 0;
    return 1;
}

