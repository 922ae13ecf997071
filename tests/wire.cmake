# plugin/wire: the worker protocol, bounded reads and the transport.
gd_add_unit(test_wire tests/test_wire.c)
