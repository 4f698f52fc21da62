@f1ddc34e3375cb8be51bc964f8037ac583be9a587ef5ed4f056f041f98969404en"
name.elem.darkDark"
name.elem.fireFire"
name.elem.lightLight"
name.elem.treeTree"
name.elem.waterWater"-
name.item.awaken_crystalAwakening Crystal")
name.item.evolve_stoneEvolution Stone"%
name.mail.check_inCheck-in reward"-
name.mail.clan_rewardClan check-in reward"8
name.mail.dungeon_visitA friend visited your dungeon"&
name.mail.giftA gift from a friend"
name.mon.anu.dark.3Dark Anu"
name.mon.anu.fire.3Fire Anu"!
name.mon.anu.light.3	Light Anu"
name.mon.anu.tree.3Tree Anu"!
name.mon.anu.water.3	Water Anu")
name.mon.cocomaru.dark.1Dark Cocomaru")
name.mon.cocomaru.fire.1Fire Cocomaru"+
name.mon.cocomaru.light.1Light Cocomaru")
name.mon.cocomaru.tree.1Tree Cocomaru"+
name.mon.cocomaru.water.1Water Cocomaru"/
name.mon.jackolittle.dark.2Dark Jackolittle"/
name.mon.jackolittle.fire.2Fire Jackolittle"1
name.mon.jackolittle.light.2Light Jackolittle"/
name.mon.jackolittle.tree.2Tree Jackolittle"1
name.mon.jackolittle.water.2Water Jackolittle"
name.mon.leo.dark.3Dark Leo"
name.mon.leo.fire.3Fire Leo"!
name.mon.leo.light.3	Light Leo"
name.mon.leo.tree.3Tree Leo"!
name.mon.leo.water.3	Water Leo"!
name.mon.lily.dark.3	Dark Lily"!
name.mon.lily.fire.3	Fire Lily"#
name.mon.lily.light.3
Light Lily"!
name.mon.lily.tree.3	Tree Lily"#
name.mon.lily.water.3
Water Lily"!
name.mon.miho.dark.5	Dark Miho"!
name.mon.miho.fire.5	Fire Miho"#
name.mon.miho.light.5
Light Miho"!
name.mon.miho.tree.5	Tree Miho"#
name.mon.miho.water.5
Water Miho"-
name.mon.persephone.dark.5Dark Persephone"-
name.mon.persephone.fire.5Fire Persephone"/
name.mon.persephone.light.5Light Persephone"-
name.mon.persephone.tree.5Tree Persephone"/
name.mon.persephone.water.5Water Persephone"%
name.mon.seiren.dark.4Dark Seiren"%
name.mon.seiren.fire.4Fire Seiren"'
name.mon.seiren.light.4Light Seiren"%
name.mon.seiren.tree.4Tree Seiren"'
name.mon.seiren.water.4Water Seiren"#
name.mon.slime.dark.1
Dark Slime"#
name.mon.slime.fire.1
Fire Slime"%
name.mon.slime.light.1Light Slime"#
name.mon.slime.tree.1
Tree Slime"%
name.mon.slime.water.1Water Slime")
name.mon.slimeb.dark.2Dark Blue Slime")
name.mon.slimeb.fire.2Fire Blue Slime"+
name.mon.slimeb.light.2Light Blue Slime")
name.mon.slimeb.tree.2Tree Blue Slime"+
name.mon.slimeb.water.2Water Blue Slime"#
name.mon.squir.dark.1
Dark Squir"#
name.mon.squir.fire.1
Fire Squir"%
name.mon.squir.light.1Light Squir"#
name.mon.squir.tree.1
Tree Squir"%
name.mon.squir.water.1Water Squir"!
name.mon.sura.dark.4	Dark Sura"!
name.mon.sura.fire.4	Fire Sura"#
name.mon.sura.light.4
Light Sura"!
name.mon.sura.tree.4	Tree Sura"#
name.mon.sura.water.4
Water Sura"!
name.pool.friendFriend Summon"+
name.pool.light_darkLight & Dark Summon"!
name.pool.normalNormal Summon"#
name.pool.premiumPremium Summon"&
name.quest.ach.ch1Finish chapter 1"&
name.quest.ach.ch2Finish chapter 2"&
name.quest.ach.ch3Finish chapter 3""
name.quest.ach.clanJoin a clan",
name.quest.ach.enhance50Enhance 50 times".
name.quest.ach.explore100Explore 100 times")
name.quest.ach.friends5Make 5 friends")
name.quest.ach.hellClear 3-10 on hell"(
name.quest.ach.level10Reach level 10"(
name.quest.ach.level20Reach level 20"(
name.quest.ach.level30Reach level 30"&
name.quest.ach.level5Reach level 5"-
name.quest.ach.level50Reach the top level"/
name.quest.ach.rare4Summon a 4-star monster"/
name.quest.ach.rare5Summon a 5-star monster",
name.quest.ach.summon100Summon 100 times"2
name.quest.daily.buy1Buy something in the shop"$
name.quest.daily.checkinCheck in"6
name.quest.daily.dungeon1Win in a friend's dungeon".
name.quest.daily.enhance1Enhance a monster".
name.quest.daily.explore15Explore 15 times",
name.quest.daily.explore5Explore 5 times"1
name.quest.daily.gift3Send 3 gifts to friends"*
name.quest.daily.hardClear 1-5 on hard" 
name.quest.daily.loginLog in"+
name.quest.daily.stage10Clear 10 stages")
name.quest.daily.stage3Clear 3 stages"'
name.quest.daily.summon1Summon once"*
name.quest.daily.summon3Summon 3 times"8
name.quest.daily.win3starsWin 3 battles with 3 stars")
name.shop.evolve_stoneEvolution Stone""
name.shop.gems.daily
Daily Gems"%
name.shop.gold.largeChest of Gold"%
name.shop.gold.smallPouch of Gold"$
name.shop.stamina.full
30 Stamina"*
name.shop.stamina.gold5 Stamina (gold)"%
name.shop.stamina.small
15 Stamina"&
name.shop.starter_packStarter Pack"
name.stage.01.01Chapter 1-1"
name.stage.01.02Chapter 1-2"
name.stage.01.03Chapter 1-3"
name.stage.01.04Chapter 1-4"
name.stage.01.05Chapter 1-5"
name.stage.01.06Chapter 1-6"
name.stage.01.07Chapter 1-7"
name.stage.01.08Chapter 1-8"
name.stage.01.09Chapter 1-9" 
name.stage.01.10Chapter 1-10"
name.stage.02.01Chapter 2-1"
name.stage.02.02Chapter 2-2"
name.stage.02.03Chapter 2-3"
name.stage.02.04Chapter 2-4"
name.stage.02.05Chapter 2-5"
name.stage.02.06Chapter 2-6"
name.stage.02.07Chapter 2-7"
name.stage.02.08Chapter 2-8"
name.stage.02.09Chapter 2-9" 
name.stage.02.10Chapter 2-10"
name.stage.03.01Chapter 3-1"
name.stage.03.02Chapter 3-2"
name.stage.03.03Chapter 3-3"
name.stage.03.04Chapter 3-4"
name.stage.03.05Chapter 3-5"
name.stage.03.06Chapter 3-6"
name.stage.03.07Chapter 3-7"
name.stage.03.08Chapter 3-8"
name.stage.03.09Chapter 3-9" 
name.stage.03.10Chapter 3-10