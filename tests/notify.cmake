# systemd readiness notification (host/daemon/notify.c).
gd_add_unit(test_notify ${CMAKE_CURRENT_LIST_DIR}/test_notify.c)
