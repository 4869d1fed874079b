-- The deliveries view's filters by declaration and by destination, each
-- index walked newest first (by id), as the view lists. Without them a
-- filter that matches few deliveries reads the whole table to fill a
-- page. (The pending rows of a destination are in callback_deliveries_due
-- too, but the view lists every state.) The filters by creation time need
-- none: they narrow the walk of the primary key, whose order follows the
-- creation time.
CREATE INDEX callback_deliveries_by_callback ON callback_deliveries (callback, id);
CREATE INDEX callback_deliveries_by_destination ON callback_deliveries (destination, id);
