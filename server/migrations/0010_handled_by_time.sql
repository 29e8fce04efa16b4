-- The retransmission log is pruned by age (server/src/lib.rs): find old rows without a scan.
CREATE INDEX ocpp_handled_by_time ON ocpp_handled (handled_at);
