-- about: PLANTED (superuser_role): a deploy tool's login role that was made superuser "for now".
-- about: Roles belong to the whole server, not to one database: `seed(..., cluster=False)`
-- about: skips this file on servers shared with other work.
-- scope: cluster
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deploy_admin') THEN
    CREATE ROLE deploy_admin LOGIN SUPERUSER;
  END IF;
END
$$;
