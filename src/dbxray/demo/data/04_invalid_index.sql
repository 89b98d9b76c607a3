-- about: PLANTED (invalid_index): someone tried to make phone numbers unique without a lock,
-- about: but customers share phone numbers, so the build fails and leaves an INVALID index
-- about: behind that every write to customers still maintains.
-- scope: database
-- expect: error
CREATE UNIQUE INDEX CONCURRENTLY customers_phone_key ON customers (phone);
