/* The built-in OpenTok policy, embedded verbatim (TA_POLICY_FILE is set by the Makefile). */
	.section .rodata
	.global ta_builtin_policy_start
	.global ta_builtin_policy_end
ta_builtin_policy_start:
	.incbin TA_POLICY_FILE
ta_builtin_policy_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
