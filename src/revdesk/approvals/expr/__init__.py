"""A safe, CEL-compatible expression language for approval conditions (never Python eval).

    text --lexer--> tokens --parser--> Node tree --checker--> types --> Python closure
                                                                   \\--> Polars expression

The reference, with every error message, is docs/approval-policy.md.
"""
