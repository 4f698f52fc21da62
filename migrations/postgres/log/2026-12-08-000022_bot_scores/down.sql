DROP TABLE bot_scores;
