CREATE SEQUENCE `audit_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `authcache_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `caconfig_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `caconnector_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `challenge_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `clientapp_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `customuserattribute_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `description_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `eventcounter_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `eventhandler_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `eventhandlercond_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `eventhandleropt_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `internaluserattribute_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `machineresolver_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `machineresolverconf_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `machinetoken_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `machtokenopt_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `metric_aggregate_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `monitoringstats_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `periodictask_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `periodictasklastrun_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `periodictaskopt_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `policy_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `policycondition_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `privacyideaserver_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `pwreset_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `radiusserver_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `realm_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `resolver_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `resolverconf_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `resolverrealm_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `serviceid_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `smsgateway_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `smsgwoption_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `smtpserver_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `subscription_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `token_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokencredentialidhash_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokengroup_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokeninfo_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokenowner_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokenrealm_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `tokentokengroup_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `usercache_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE SEQUENCE `usersetting_seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 0 cache 1000 nocycle ENGINE=InnoDB;
CREATE TABLE `admin` (
  `username` varchar(120) NOT NULL,
  `password` varchar(255) DEFAULT NULL,
  `email` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`username`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `alembic_version` (
  `version_num` varchar(32) NOT NULL,
  PRIMARY KEY (`version_num`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `authcache` (
  `id` int(11) NOT NULL,
  `first_auth` datetime(6) DEFAULT NULL,
  `last_auth` datetime(6) DEFAULT NULL,
  `username` varchar(64) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `realm` varchar(120) DEFAULT NULL,
  `client_ip` varchar(40) DEFAULT NULL,
  `user_agent` varchar(120) DEFAULT NULL,
  `auth_count` int(11) DEFAULT NULL,
  `authentication` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_authcache_first_auth` (`first_auth`),
  KEY `ix_authcache_resolver` (`resolver`),
  KEY `ix_authcache_realm` (`realm`),
  KEY `ix_authcache_last_auth` (`last_auth`),
  KEY `ix_authcache_username` (`username`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `authentication_log` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `resolver` varchar(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `uid` varchar(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `realm` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `username` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `user_role` varchar(30) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `event_type` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `timestamp` datetime(6) NOT NULL,
  `source_ip` varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `peer_ip` varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `source_ip_source` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `client_label` varchar(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `client_label_source` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `ip_chain` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`ip_chain`)),
  `endpoint` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `serial` varchar(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `transaction_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `attempt_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `other_info` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`other_info`)),
  PRIMARY KEY (`id`),
  KEY `ix_authlog_user_time` (`resolver`,`uid`,`realm`,`timestamp`),
  KEY `ix_authlog_admin_time` (`username`,`user_role`,`timestamp`),
  KEY `ix_authlog_ip_time` (`source_ip`,`timestamp`),
  KEY `ix_authlog_time` (`timestamp`),
  KEY `ix_authlog_peer_ip_time` (`peer_ip`,`timestamp`),
  KEY `ix_authlog_ip_event_time` (`source_ip`,`event_type`,`timestamp`),
  KEY `ix_authlog_user_event_time` (`resolver`,`uid`,`realm`,`event_type`,`timestamp`),
  KEY `ix_authlog_admin_event_time` (`username`,`user_role`,`event_type`,`timestamp`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `authentication_log_reason` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `auth_log_id` bigint(20) NOT NULL,
  `reason` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_authlog_reason_authlog` (`auth_log_id`),
  KEY `ix_authlog_reason_reason` (`reason`,`auth_log_id`),
  CONSTRAINT `authentication_log_reason_ibfk_1` FOREIGN KEY (`auth_log_id`) REFERENCES `authentication_log` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `block_list` (
  `ip` varchar(50) NOT NULL,
  `block_expires_at` datetime(6) DEFAULT NULL,
  `block_cause` varchar(20) NOT NULL,
  `error_message` varchar(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `blocked_at` datetime(6) NOT NULL,
  PRIMARY KEY (`ip`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `caconnector` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `catype` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `caconnectorconfig` (
  `id` int(11) NOT NULL,
  `caconnector_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `Type` varchar(2000) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ccix_2` (`caconnector_id`,`Key`),
  CONSTRAINT `caconnectorconfig_ibfk_1` FOREIGN KEY (`caconnector_id`) REFERENCES `caconnector` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `challenge` (
  `id` int(11) NOT NULL,
  `transaction_id` varchar(64) NOT NULL,
  `data` text DEFAULT NULL,
  `challenge` text DEFAULT NULL,
  `session` varchar(512) DEFAULT NULL,
  `serial` varchar(40) DEFAULT NULL,
  `timestamp` datetime(6) DEFAULT NULL,
  `expiration` datetime(6) DEFAULT NULL,
  `received_count` int(11) DEFAULT NULL,
  `otp_valid` tinyint(1) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_challenge_transaction_id` (`transaction_id`),
  KEY `ix_challenge_expiration` (`expiration`),
  KEY `ix_challenge_serial` (`serial`),
  KEY `ix_challenge_timestamp` (`timestamp`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `clientapplication` (
  `id` int(11) NOT NULL,
  `ip` varchar(255) NOT NULL,
  `hostname` varchar(255) DEFAULT NULL,
  `clienttype` varchar(255) NOT NULL,
  `lastseen` datetime(6) DEFAULT NULL,
  `node` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `caix` (`ip`,`clienttype`,`node`),
  KEY `ix_clientapplication_ip` (`ip`),
  KEY `ix_clientapplication_lastseen` (`lastseen`),
  KEY `ix_clientapplication_clienttype` (`clienttype`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `clients` (
  `id` varchar(36) NOT NULL,
  `display_name` varchar(255) NOT NULL,
  `client_type` varchar(64) NOT NULL,
  `key_id` varchar(32) NOT NULL,
  `key_hash` varchar(64) NOT NULL,
  `status` varchar(16) NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `last_used_at` datetime(6) DEFAULT NULL,
  `config` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(`config`)),
  PRIMARY KEY (`id`),
  UNIQUE KEY `ix_clients_key_id` (`key_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_outcome` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `auth_log_id` bigint(20) NOT NULL,
  `action_type` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `dry_run` tinyint(1) NOT NULL,
  `policy_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `threshold` int(11) NOT NULL,
  `event_count` int(11) NOT NULL,
  `stage_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `info` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`info`)),
  PRIMARY KEY (`id`),
  KEY `ix_ca_outcome_authlog` (`auth_log_id`),
  KEY `ix_ca_outcome_action` (`action_type`),
  CONSTRAINT `conditional_access_outcome_ibfk_1` FOREIGN KEY (`auth_log_id`) REFERENCES `authentication_log` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_policies` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL,
  `time_window_seconds` int(11) NOT NULL,
  `enabled` tinyint(1) NOT NULL,
  `dry_run` tinyint(1) NOT NULL,
  `priority` int(11) NOT NULL,
  `target` varchar(100) NOT NULL,
  `count_mode` varchar(20) NOT NULL,
  `reset_on_success` tinyint(1) NOT NULL,
  `enforced_since` datetime(6) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_ca_policy_priority` (`priority`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_policy_conditions` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `policy_id` int(11) NOT NULL,
  `condition_type` varchar(50) NOT NULL,
  `operator` varchar(20) NOT NULL,
  `value` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`value`)),
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_ca_condition_policy` (`policy_id`,`condition_type`),
  KEY `ix_conditional_access_policy_conditions_policy_id` (`policy_id`),
  CONSTRAINT `conditional_access_policy_conditions_ibfk_1` FOREIGN KEY (`policy_id`) REFERENCES `conditional_access_policies` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_policy_counter_types` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `policy_id` int(11) NOT NULL,
  `counter_type` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_ca_counter_type_policy` (`policy_id`,`counter_type`),
  KEY `ix_ca_counter_type_lookup` (`counter_type`,`policy_id`),
  CONSTRAINT `conditional_access_policy_counter_types_ibfk_1` FOREIGN KEY (`policy_id`) REFERENCES `conditional_access_policies` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_policy_stages` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `policy_id` int(11) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `error_message` varchar(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `failure_threshold` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_ca_stage_policy_threshold` (`policy_id`,`failure_threshold`),
  CONSTRAINT `conditional_access_policy_stages_ibfk_1` FOREIGN KEY (`policy_id`) REFERENCES `conditional_access_policies` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `conditional_access_stage_actions` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `stage_id` int(11) NOT NULL,
  `action_type` varchar(100) NOT NULL,
  `action_value` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`action_value`)),
  `retrigger_above_threshold` tinyint(1) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_conditional_access_stage_actions_stage_id` (`stage_id`),
  CONSTRAINT `conditional_access_stage_actions_ibfk_1` FOREIGN KEY (`stage_id`) REFERENCES `conditional_access_policy_stages` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `config` (
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `Type` varchar(2000) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`Key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `customuserattribute` (
  `id` int(11) NOT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` text DEFAULT NULL,
  `Type` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `realm_id` (`realm_id`),
  KEY `ix_customuserattribute_user_id` (`user_id`),
  KEY `ix_customuserattribute_resolver` (`resolver`),
  CONSTRAINT `customuserattribute_ibfk_1` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `description` (
  `id` int(11) NOT NULL,
  `object_id` int(11) NOT NULL,
  `object_type` varchar(64) NOT NULL,
  `last_update` datetime(6) DEFAULT NULL,
  `description` text DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `object_id` (`object_id`),
  CONSTRAINT `description_ibfk_1` FOREIGN KEY (`object_id`) REFERENCES `policy` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `eventcounter` (
  `id` int(11) NOT NULL,
  `counter_name` varchar(80) NOT NULL,
  `counter_value` int(11) DEFAULT NULL,
  `node` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `evctr_1` (`counter_name`,`node`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `eventhandler` (
  `id` int(11) NOT NULL,
  `name` varchar(64) DEFAULT NULL,
  `active` tinyint(1) DEFAULT NULL,
  `ordering` int(11) NOT NULL,
  `position` varchar(10) DEFAULT NULL,
  `abort_on_error` tinyint(1) DEFAULT NULL,
  `event` varchar(255) NOT NULL,
  `handlermodule` varchar(255) NOT NULL,
  `condition` varchar(1024) DEFAULT NULL,
  `action` varchar(1024) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `eventhandlercondition` (
  `id` int(11) NOT NULL,
  `eventhandler_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `comparator` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ehcix_1` (`eventhandler_id`,`Key`),
  CONSTRAINT `eventhandlercondition_ibfk_1` FOREIGN KEY (`eventhandler_id`) REFERENCES `eventhandler` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `eventhandleroption` (
  `id` int(11) NOT NULL,
  `eventhandler_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `Type` varchar(2000) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ehoix_1` (`eventhandler_id`,`Key`),
  CONSTRAINT `eventhandleroption_ibfk_1` FOREIGN KEY (`eventhandler_id`) REFERENCES `eventhandler` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `internaluserattribute` (
  `id` int(11) NOT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`Value`)),
  `last_modified` datetime(6) DEFAULT NULL,
  `node` varchar(120) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_internaluserattribute_user_key` (`user_id`,`resolver`,`realm_id`,`Key`),
  KEY `realm_id` (`realm_id`),
  CONSTRAINT `internaluserattribute_ibfk_1` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `machineresolver` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `rtype` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `machineresolverconfig` (
  `id` int(11) NOT NULL,
  `resolver_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `Type` varchar(2000) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `mrcix_2` (`resolver_id`,`Key`),
  CONSTRAINT `machineresolverconfig_ibfk_1` FOREIGN KEY (`resolver_id`) REFERENCES `machineresolver` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `machinetoken` (
  `id` int(11) NOT NULL,
  `token_id` int(11) DEFAULT NULL,
  `machineresolver_id` int(11) DEFAULT NULL,
  `machine_id` varchar(255) DEFAULT NULL,
  `application` varchar(64) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `token_id` (`token_id`),
  CONSTRAINT `machinetoken_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `machinetokenoptions` (
  `id` int(11) NOT NULL,
  `machinetoken_id` int(11) DEFAULT NULL,
  `mt_key` varchar(64) NOT NULL,
  `mt_value` varchar(64) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `machinetoken_id` (`machinetoken_id`),
  CONSTRAINT `machinetokenoptions_ibfk_1` FOREIGN KEY (`machinetoken_id`) REFERENCES `machinetoken` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `metric_aggregate` (
  `id` int(11) NOT NULL,
  `metric_name` varchar(128) NOT NULL,
  `labels_key` text NOT NULL,
  `labels_hash` varchar(64) NOT NULL,
  `node` varchar(255) NOT NULL,
  `window_start` datetime(6) NOT NULL,
  `count` bigint(20) NOT NULL,
  `sum_value` float NOT NULL,
  `max_value` float NOT NULL,
  `bucket_le_50ms` bigint(20) NOT NULL,
  `bucket_le_100ms` bigint(20) NOT NULL,
  `bucket_le_150ms` bigint(20) NOT NULL,
  `bucket_le_200ms` bigint(20) NOT NULL,
  `bucket_le_250ms` bigint(20) NOT NULL,
  `bucket_le_500ms` bigint(20) NOT NULL,
  `bucket_le_1s` bigint(20) NOT NULL,
  `bucket_le_2s` bigint(20) NOT NULL,
  `bucket_le_5s` bigint(20) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `metricagg_uix` (`metric_name`,`labels_hash`,`node`,`window_start`),
  KEY `ix_metric_aggregate_metric_name` (`metric_name`),
  KEY `ix_metric_aggregate_window_start` (`window_start`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `monitoringstats` (
  `id` int(11) NOT NULL,
  `timestamp` datetime(6) NOT NULL,
  `stats_key` varchar(128) NOT NULL,
  `stats_value` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `msix_1` (`timestamp`,`stats_key`),
  KEY `ix_monitoringstats_timestamp` (`timestamp`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `nodename` (
  `id` varchar(36) NOT NULL,
  `name` varchar(100) DEFAULT NULL,
  `lastseen` datetime(6) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_nodename_lastseen` (`lastseen`),
  KEY `ix_nodename_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `passwordreset` (
  `id` int(11) NOT NULL,
  `recoverycode` varchar(255) NOT NULL,
  `username` varchar(64) NOT NULL,
  `realm` varchar(64) NOT NULL,
  `resolver` varchar(64) DEFAULT NULL,
  `email` varchar(255) DEFAULT NULL,
  `timestamp` datetime(6) DEFAULT NULL,
  `expiration` datetime(6) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_passwordreset_username` (`username`),
  KEY `ix_passwordreset_realm` (`realm`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `periodictask` (
  `id` int(11) NOT NULL,
  `name` varchar(64) NOT NULL,
  `active` tinyint(1) NOT NULL,
  `retry_if_failed` tinyint(1) NOT NULL,
  `interval` varchar(256) NOT NULL,
  `nodes` varchar(256) NOT NULL,
  `taskmodule` varchar(256) NOT NULL,
  `ordering` int(11) NOT NULL,
  `last_update` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `periodictasklastrun` (
  `id` int(11) NOT NULL,
  `periodictask_id` int(11) DEFAULT NULL,
  `node` varchar(255) NOT NULL,
  `timestamp` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ptlrix_1` (`periodictask_id`,`node`),
  CONSTRAINT `periodictasklastrun_ibfk_1` FOREIGN KEY (`periodictask_id`) REFERENCES `periodictask` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `periodictaskoption` (
  `id` int(11) NOT NULL,
  `periodictask_id` int(11) DEFAULT NULL,
  `key` varchar(255) NOT NULL,
  `value` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ptoix_1` (`periodictask_id`,`key`),
  CONSTRAINT `periodictaskoption_ibfk_1` FOREIGN KEY (`periodictask_id`) REFERENCES `periodictask` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `pidea_audit` (
  `id` bigint(20) NOT NULL,
  `date` datetime(6) DEFAULT NULL,
  `startdate` datetime(6) DEFAULT NULL,
  `duration` datetime(6) DEFAULT NULL,
  `signature` varchar(1100) DEFAULT NULL,
  `action` varchar(200) DEFAULT NULL,
  `success` int(11) DEFAULT NULL,
  `authentication` varchar(12) DEFAULT NULL,
  `serial` varchar(200) DEFAULT NULL,
  `token_type` varchar(12) DEFAULT NULL,
  `container_serial` varchar(40) DEFAULT NULL,
  `container_type` varchar(100) DEFAULT NULL,
  `user` varchar(100) DEFAULT NULL,
  `realm` varchar(255) DEFAULT NULL,
  `resolver` varchar(255) DEFAULT NULL,
  `administrator` varchar(100) DEFAULT NULL,
  `action_detail` varchar(500) DEFAULT NULL,
  `info` varchar(500) DEFAULT NULL,
  `privacyidea_server` varchar(255) DEFAULT NULL,
  `client` varchar(50) DEFAULT NULL,
  `user_agent` varchar(50) DEFAULT NULL,
  `user_agent_version` varchar(20) DEFAULT NULL,
  `loglevel` varchar(12) DEFAULT NULL,
  `clearance_level` varchar(12) DEFAULT NULL,
  `thread_id` varchar(20) DEFAULT NULL,
  `policies` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_pidea_audit_date` (`date`),
  KEY `ix_pidea_audit_user` (`user`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `policy` (
  `id` int(11) NOT NULL,
  `active` tinyint(1) DEFAULT NULL,
  `check_all_resolvers` tinyint(1) DEFAULT NULL,
  `name` varchar(64) NOT NULL,
  `user_case_insensitive` tinyint(1) DEFAULT NULL,
  `scope` varchar(32) NOT NULL,
  `action` text DEFAULT NULL,
  `realm` varchar(256) DEFAULT NULL,
  `adminrealm` varchar(256) DEFAULT NULL,
  `adminuser` varchar(256) DEFAULT NULL,
  `resolver` varchar(256) DEFAULT NULL,
  `pinode` varchar(256) DEFAULT NULL,
  `user` varchar(256) DEFAULT NULL,
  `client` varchar(256) DEFAULT NULL,
  `time` varchar(64) DEFAULT NULL,
  `user_agents` varchar(256) DEFAULT NULL,
  `priority` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `policycondition` (
  `id` int(11) NOT NULL,
  `policy_id` int(11) NOT NULL,
  `section` varchar(255) NOT NULL,
  `Key` varchar(255) NOT NULL,
  `comparator` varchar(255) NOT NULL,
  `Value` varchar(2000) NOT NULL,
  `active` tinyint(1) NOT NULL,
  `handle_missing_data` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `policy_id` (`policy_id`),
  CONSTRAINT `policycondition_ibfk_1` FOREIGN KEY (`policy_id`) REFERENCES `policy` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `privacyideaserver` (
  `id` int(11) NOT NULL,
  `identifier` varchar(255) NOT NULL,
  `url` varchar(255) NOT NULL,
  `tls` tinyint(1) DEFAULT NULL,
  `description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `identifier` (`identifier`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `radiusserver` (
  `id` int(11) NOT NULL,
  `identifier` varchar(255) NOT NULL,
  `server` varchar(255) NOT NULL,
  `port` int(11) DEFAULT NULL,
  `secret` varchar(255) DEFAULT NULL,
  `dictionary` varchar(255) DEFAULT NULL,
  `description` varchar(2000) DEFAULT NULL,
  `timeout` int(11) DEFAULT NULL,
  `retries` int(11) DEFAULT NULL,
  `options` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`options`)),
  PRIMARY KEY (`id`),
  UNIQUE KEY `identifier` (`identifier`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `realm` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `default` tinyint(1) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `remembered_devices` (
  `series_id` varchar(64) NOT NULL,
  `device_id` varchar(64) NOT NULL,
  `counter` int(11) NOT NULL,
  `client_id` varchar(36) NOT NULL,
  `resolver` varchar(120) NOT NULL,
  `user_id` varchar(320) NOT NULL,
  `realm_id` int(11) NOT NULL,
  `ip_address` varchar(64) DEFAULT NULL,
  `user_agent` varchar(255) DEFAULT NULL,
  `created_at` datetime(6) NOT NULL,
  `last_used_at` datetime(6) DEFAULT NULL,
  `expires_at` datetime(6) NOT NULL,
  PRIMARY KEY (`series_id`),
  UNIQUE KEY `device_id` (`device_id`),
  KEY `ix_remembered_devices_user_id` (`user_id`),
  KEY `ix_remembered_devices_identity` (`client_id`,`resolver`,`user_id`,`realm_id`),
  KEY `ix_remembered_devices_client_id` (`client_id`),
  KEY `ix_remembered_devices_realm_id` (`realm_id`),
  KEY `ix_remembered_devices_expires_at` (`expires_at`),
  KEY `ix_remembered_devices_client_created` (`client_id`,`created_at`),
  KEY `ix_remembered_devices_resolver` (`resolver`),
  CONSTRAINT `remembered_devices_ibfk_1` FOREIGN KEY (`client_id`) REFERENCES `clients` (`id`) ON DELETE CASCADE,
  CONSTRAINT `remembered_devices_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `resolver` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `rtype` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `resolverconfig` (
  `id` int(11) NOT NULL,
  `resolver_id` int(11) DEFAULT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` varchar(2000) DEFAULT NULL,
  `Type` varchar(2000) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `rcix_2` (`resolver_id`,`Key`),
  CONSTRAINT `resolverconfig_ibfk_1` FOREIGN KEY (`resolver_id`) REFERENCES `resolver` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `resolverrealm` (
  `id` int(11) NOT NULL,
  `resolver_id` int(11) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  `priority` int(11) DEFAULT NULL,
  `node_uuid` varchar(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `rrix_2` (`resolver_id`,`realm_id`,`node_uuid`),
  KEY `realm_id` (`realm_id`),
  CONSTRAINT `resolverrealm_ibfk_1` FOREIGN KEY (`resolver_id`) REFERENCES `resolver` (`id`),
  CONSTRAINT `resolverrealm_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `serviceid` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `smsgateway` (
  `id` int(11) NOT NULL,
  `identifier` varchar(255) NOT NULL,
  `description` varchar(1024) DEFAULT NULL,
  `providermodule` varchar(1024) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `identifier` (`identifier`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `smsgatewayoption` (
  `id` int(11) NOT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` text DEFAULT NULL,
  `Type` varchar(100) DEFAULT NULL,
  `Encrypted` tinyint(1) NOT NULL DEFAULT 0,
  `gateway_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `sgix_1` (`gateway_id`,`Key`,`Type`),
  KEY `ix_smsgatewayoption_gateway_id` (`gateway_id`),
  CONSTRAINT `smsgatewayoption_ibfk_1` FOREIGN KEY (`gateway_id`) REFERENCES `smsgateway` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `smtpserver` (
  `id` int(11) NOT NULL,
  `identifier` varchar(255) NOT NULL,
  `server` varchar(255) NOT NULL,
  `port` int(11) DEFAULT NULL,
  `username` varchar(255) DEFAULT NULL,
  `password` varchar(255) DEFAULT NULL,
  `sender` varchar(255) DEFAULT NULL,
  `tls` tinyint(1) DEFAULT NULL,
  `description` varchar(2000) DEFAULT NULL,
  `timeout` int(11) DEFAULT NULL,
  `enqueue_job` tinyint(1) NOT NULL,
  `smime` tinyint(1) NOT NULL,
  `dont_send_on_error` tinyint(1) NOT NULL,
  `private_key` varchar(255) DEFAULT NULL,
  `private_key_password` varchar(255) DEFAULT NULL,
  `certificate` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `subscription` (
  `id` int(11) NOT NULL,
  `application` varchar(80) DEFAULT NULL,
  `for_name` varchar(80) NOT NULL,
  `for_address` varchar(128) DEFAULT NULL,
  `for_email` varchar(128) NOT NULL,
  `for_phone` varchar(50) NOT NULL,
  `for_url` varchar(80) DEFAULT NULL,
  `for_comment` varchar(255) DEFAULT NULL,
  `by_name` varchar(50) NOT NULL,
  `by_email` varchar(128) NOT NULL,
  `by_address` varchar(128) DEFAULT NULL,
  `by_phone` varchar(50) DEFAULT NULL,
  `by_url` varchar(80) DEFAULT NULL,
  `date_from` datetime(6) DEFAULT NULL,
  `date_till` datetime(6) DEFAULT NULL,
  `num_users` int(11) DEFAULT NULL,
  `num_tokens` int(11) DEFAULT NULL,
  `num_clients` int(11) DEFAULT NULL,
  `level` varchar(80) DEFAULT NULL,
  `signature` varchar(640) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_subscription_application` (`application`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `token` (
  `id` int(11) NOT NULL,
  `description` varchar(80) DEFAULT NULL,
  `serial` varchar(40) NOT NULL,
  `tokentype` varchar(30) DEFAULT NULL,
  `user_pin` varchar(512) DEFAULT NULL,
  `user_pin_iv` varchar(32) DEFAULT NULL,
  `so_pin` varchar(512) DEFAULT NULL,
  `so_pin_iv` varchar(32) DEFAULT NULL,
  `pin_seed` varchar(32) DEFAULT NULL,
  `otplen` int(11) DEFAULT NULL,
  `pin_hash` varchar(512) DEFAULT NULL,
  `key_enc` varchar(2800) DEFAULT NULL,
  `key_iv` varchar(32) DEFAULT NULL,
  `maxfail` int(11) DEFAULT NULL,
  `active` tinyint(1) NOT NULL,
  `revoked` tinyint(1) DEFAULT NULL,
  `locked` tinyint(1) DEFAULT NULL,
  `failcount` int(11) DEFAULT NULL,
  `count` int(11) DEFAULT NULL,
  `count_window` int(11) DEFAULT NULL,
  `sync_window` int(11) DEFAULT NULL,
  `rollout_state` varchar(10) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ix_token_serial` (`serial`),
  KEY `ix_token_tokentype` (`tokentype`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainer` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `type` varchar(100) NOT NULL,
  `description` varchar(1024) DEFAULT NULL,
  `serial` varchar(40) NOT NULL,
  `last_seen` datetime(6) DEFAULT NULL,
  `last_updated` datetime(6) DEFAULT NULL,
  `template_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ix_tokencontainer_serial` (`serial`),
  KEY `tokencontainertemplate_id` (`template_id`),
  CONSTRAINT `tokencontainertemplate_id` FOREIGN KEY (`template_id`) REFERENCES `tokencontainertemplate` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainerinfo` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `key` varchar(255) NOT NULL,
  `value` text DEFAULT NULL,
  `type` varchar(100) DEFAULT NULL,
  `description` varchar(2000) DEFAULT NULL,
  `container_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `container_id_constraint` (`container_id`,`key`),
  KEY `ix_tokencontainerinfo_container_id` (`container_id`),
  CONSTRAINT `tokencontainerinfo_ibfk_1` FOREIGN KEY (`container_id`) REFERENCES `tokencontainer` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainerowner` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `container_id` int(11) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `container_id` (`container_id`),
  KEY `realm_id` (`realm_id`),
  KEY `ix_tokencontainerowner_user_id` (`user_id`),
  KEY `ix_tokencontainerowner_resolver` (`resolver`),
  CONSTRAINT `tokencontainerowner_ibfk_1` FOREIGN KEY (`container_id`) REFERENCES `tokencontainer` (`id`),
  CONSTRAINT `tokencontainerowner_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainerrealm` (
  `container_id` int(11) NOT NULL,
  `realm_id` int(11) NOT NULL,
  PRIMARY KEY (`container_id`,`realm_id`),
  KEY `realm_id` (`realm_id`),
  CONSTRAINT `tokencontainerrealm_ibfk_1` FOREIGN KEY (`container_id`) REFERENCES `tokencontainer` (`id`),
  CONSTRAINT `tokencontainerrealm_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainerstates` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `container_id` int(11) DEFAULT NULL,
  `state` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `container_id` (`container_id`),
  CONSTRAINT `tokencontainerstates_ibfk_1` FOREIGN KEY (`container_id`) REFERENCES `tokencontainer` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainertemplate` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `options` varchar(2000) DEFAULT NULL,
  `name` varchar(200) DEFAULT NULL,
  `container_type` varchar(100) NOT NULL,
  `default` tinyint(1) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencontainertoken` (
  `token_id` int(11) NOT NULL,
  `container_id` int(11) NOT NULL,
  PRIMARY KEY (`token_id`,`container_id`),
  KEY `container_id` (`container_id`),
  CONSTRAINT `tokencontainertoken_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`),
  CONSTRAINT `tokencontainertoken_ibfk_2` FOREIGN KEY (`container_id`) REFERENCES `tokencontainer` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokencredentialidhash` (
  `id` int(11) NOT NULL,
  `credential_id_hash` varchar(256) NOT NULL,
  `token_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ix_tokencredentialidhash_credentialidhash` (`credential_id_hash`),
  KEY `token_id` (`token_id`),
  CONSTRAINT `tokencredentialidhash_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokengroup` (
  `id` int(11) NOT NULL,
  `name` varchar(255) NOT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokeninfo` (
  `id` int(11) NOT NULL,
  `Key` varchar(255) NOT NULL,
  `Value` text DEFAULT NULL,
  `Type` varchar(100) DEFAULT NULL,
  `Description` varchar(2000) DEFAULT NULL,
  `token_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `tiix_2` (`token_id`,`Key`),
  KEY `ix_tokeninfo_token_id` (`token_id`),
  CONSTRAINT `tokeninfo_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokenowner` (
  `id` int(11) NOT NULL,
  `token_id` int(11) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `realm_id` (`realm_id`),
  KEY `ix_tokenowner_token_id` (`token_id`),
  KEY `ix_tokenowner_user_id` (`user_id`),
  KEY `ix_tokenowner_resolver` (`resolver`),
  CONSTRAINT `tokenowner_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`),
  CONSTRAINT `tokenowner_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokenrealm` (
  `id` int(11) NOT NULL,
  `token_id` int(11) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `trix_2` (`token_id`,`realm_id`),
  KEY `realm_id` (`realm_id`),
  CONSTRAINT `tokenrealm_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`),
  CONSTRAINT `tokenrealm_ibfk_2` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `tokentokengroup` (
  `id` int(11) NOT NULL,
  `token_id` int(11) DEFAULT NULL,
  `tokengroup_id` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ttgix_2` (`token_id`,`tokengroup_id`),
  KEY `tokengroup_id` (`tokengroup_id`),
  CONSTRAINT `tokentokengroup_ibfk_1` FOREIGN KEY (`token_id`) REFERENCES `token` (`id`),
  CONSTRAINT `tokentokengroup_ibfk_2` FOREIGN KEY (`tokengroup_id`) REFERENCES `tokengroup` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `user_lock_state` (
  `resolver` varchar(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `uid` varchar(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `realm` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `username` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `user_role` varchar(20) NOT NULL,
  `lock_expires_at` datetime(6) DEFAULT NULL,
  `lock_cause` varchar(20) NOT NULL,
  `error_message` varchar(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `locked_at` datetime(6) NOT NULL,
  PRIMARY KEY (`resolver`,`uid`,`realm`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `usercache` (
  `id` int(11) NOT NULL,
  `username` varchar(64) DEFAULT NULL,
  `used_login` varchar(64) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `timestamp` datetime(6) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_usercache_username` (`username`),
  KEY `ix_usercache_user_id` (`user_id`),
  KEY `ix_usercache_timestamp` (`timestamp`),
  KEY `ix_usercache_used_login` (`used_login`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE `usersetting` (
  `id` int(11) NOT NULL,
  `subject_type` varchar(20) NOT NULL,
  `username` varchar(320) DEFAULT NULL,
  `user_id` varchar(320) DEFAULT NULL,
  `resolver` varchar(120) DEFAULT NULL,
  `realm_id` int(11) DEFAULT NULL,
  `subject_hash` varchar(64) NOT NULL,
  `settings` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`settings`)),
  `last_modified` datetime(6) DEFAULT NULL,
  `node` varchar(120) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_usersetting_subject` (`subject_hash`),
  KEY `realm_id` (`realm_id`),
  KEY `ix_usersetting_subject_type_username` (`subject_type`,`username`),
  KEY `ix_usersetting_user` (`user_id`,`resolver`,`realm_id`),
  CONSTRAINT `usersetting_ibfk_1` FOREIGN KEY (`realm_id`) REFERENCES `realm` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
