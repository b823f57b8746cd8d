/* doctor — `tgr doctor`: checks an installation and says, one line each, what is right (✓) and
 * what is wrong (✗, with the command or setting that fixes it): the settings parse; the data
 * directory and the master key are private to the user running it; the database answers and
 * is migrated; Node.js and the bridge's npm modules are there; the Telegram backend's settings;
 * the media store answers (S3: a signed request to the bucket); free disk; the database server's
 * clock. It changes nothing (no migration, no key, no directory is made). Exit 0 only when every
 * check passes, 1 when one fails, 2 for a usage error. README "tgr doctor". */
#ifndef TGR_DOCTOR_H
#define TGR_DOCTOR_H

int cmd_doctor(int argc, char **argv);

#endif
