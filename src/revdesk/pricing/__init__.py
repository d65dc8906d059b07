"""Deal economics: list, net, discount, ACV, TCV, ARR, margin, payment-terms cost, waterfall."""
