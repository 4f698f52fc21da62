-- The units of an open battle as it started (docs/BATTLE.md): the team's and the enemies'
-- stats, elements and skills, and the element advantages among them, as JSON, so the
-- finish is simulated on the battle that started whatever changed since. Empty for a
-- battle started before (judged by the older plausibility rule).
ALTER TABLE battles ADD COLUMN lineup TEXT NOT NULL DEFAULT '';
