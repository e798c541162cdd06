/*
 * Lobby Kiosk's Mosquitto plugin: a client id belongs to one broker user.
 *
 * Mosquitto lets any authenticated user connect with any client id, and a new connection
 * with a taken id throws the old one off (and with a clean start, wipes its queued
 * session). So anyone holding the hall display's password could knock the agent off the
 * broker, or empty a manager tablet's missed alerts. None of Mosquitto 2.0's options binds
 * ids to users while several devices share a role's user (use_username_as_clientid allows
 * one connection per user; the dynamic-security plugin binds a user to one id, not an id
 * to one user), so this check does: a client id must be the user name itself or start
 * with the user name and a dot ("b1-kiosk.lobby-1-3f2a"). User names never contain a dot.
 *
 * It runs before the password file (plugins register their basic-auth check first) and
 * only ever refuses or defers: the password is still checked by the password file.
 */
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

static mosquitto_plugin_id_t *plugin_id;

/* Pure rule, kept apart so it reads like the sentence above. */
static int id_belongs_to(const char *client_id, const char *username)
{
	size_t n = strlen(username);
	if (strncmp(client_id, username, n) != 0) {
		return 0;
	}
	return client_id[n] == '\0' || client_id[n] == '.';
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *auth = event_data;
	const char *client_id = mosquitto_client_id(auth->client);
	(void)event;
	(void)userdata;

	if (auth->username == NULL || client_id == NULL) {
		return MOSQ_ERR_PLUGIN_DEFER; /* anonymous: allow_anonymous false refuses it */
	}
	if (!id_belongs_to(client_id, auth->username)) {
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
			"Refused client id '%s' for user '%s': a client id must be the user name or start with '%s.'",
			client_id, auth->username, auth->username);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	(void)supported_version_count;
	(void)supported_versions;
	return 5;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	plugin_id = identifier;
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
}
