@66d36394282e70095555deed5de6f30baf59e406c8afc2099edbca4cdf410231ko"
name.elem.dark어둠"
name.elem.fire불"
name.elem.light빛"
name.elem.tree나무"
name.elem.water물")
name.item.awaken_crystal각성 수정"#
name.item.evolve_stone	진화석"#
name.mail.check_in출석 보상"-
name.mail.clan_reward클랜 출석 보상"A
name.mail.dungeon_visit&친구가 던전을 방문했습니다""
name.mail.gift친구의 선물"$
name.mon.anu.dark.3어둠 아누"!
name.mon.anu.fire.3
불 아누""
name.mon.anu.light.3
빛 아누"$
name.mon.anu.tree.3나무 아누""
name.mon.anu.water.3
물 아누"/
name.mon.cocomaru.dark.1어둠 코코마루",
name.mon.cocomaru.fire.1불 코코마루"-
name.mon.cocomaru.light.1빛 코코마루"/
name.mon.cocomaru.tree.1나무 코코마루"-
name.mon.cocomaru.water.1물 코코마루"2
name.mon.jackolittle.dark.2어둠 잭오리틀"/
name.mon.jackolittle.fire.2불 잭오리틀"0
name.mon.jackolittle.light.2빛 잭오리틀"2
name.mon.jackolittle.tree.2나무 잭오리틀"0
name.mon.jackolittle.water.2물 잭오리틀"$
name.mon.leo.dark.3어둠 레오"!
name.mon.leo.fire.3
불 레오""
name.mon.leo.light.3
빛 레오"$
name.mon.leo.tree.3나무 레오""
name.mon.leo.water.3
물 레오"%
name.mon.lily.dark.3어둠 릴리""
name.mon.lily.fire.3
불 릴리"#
name.mon.lily.light.3
빛 릴리"%
name.mon.lily.tree.3나무 릴리"#
name.mon.lily.water.3
물 릴리"%
name.mon.miho.dark.5어둠 미호""
name.mon.miho.fire.5
불 미호"#
name.mon.miho.light.5
빛 미호"%
name.mon.miho.tree.5나무 미호"#
name.mon.miho.water.5
물 미호"4
name.mon.persephone.dark.5어둠 페르세포네"1
name.mon.persephone.fire.5불 페르세포네"2
name.mon.persephone.light.5빛 페르세포네"4
name.mon.persephone.tree.5나무 페르세포네"2
name.mon.persephone.water.5물 페르세포네"*
name.mon.seiren.dark.4어둠 세이렌"'
name.mon.seiren.fire.4불 세이렌"(
name.mon.seiren.light.4빛 세이렌"*
name.mon.seiren.tree.4나무 세이렌"(
name.mon.seiren.water.4물 세이렌")
name.mon.slime.dark.1어둠 슬라임"&
name.mon.slime.fire.1불 슬라임"'
name.mon.slime.light.1빛 슬라임")
name.mon.slime.tree.1나무 슬라임"'
name.mon.slime.water.1물 슬라임"0
name.mon.slimeb.dark.2어둠 블루슬라임"-
name.mon.slimeb.fire.2불 블루슬라임".
name.mon.slimeb.light.2빛 블루슬라임"0
name.mon.slimeb.tree.2나무 블루슬라임".
name.mon.slimeb.water.2물 블루슬라임")
name.mon.squir.dark.1어둠 스퀴르"&
name.mon.squir.fire.1불 스퀴르"'
name.mon.squir.light.1빛 스퀴르")
name.mon.squir.tree.1나무 스퀴르"'
name.mon.squir.water.1물 스퀴르"%
name.mon.sura.dark.4어둠 수라""
name.mon.sura.fire.4
불 수라"#
name.mon.sura.light.4
빛 수라"%
name.mon.sura.tree.4나무 수라"#
name.mon.sura.water.4
물 수라"!
name.pool.friend우정 소환",
name.pool.light_dark빛과 어둠 소환"!
name.pool.normal일반 소환""
name.pool.premium고급 소환"%
name.quest.ach.ch1챕터 1 완료"%
name.quest.ach.ch2챕터 2 완료"%
name.quest.ach.ch3챕터 3 완료"*
name.quest.ach.clan클랜 가입하기"(
name.quest.ach.enhance50강화 50회"*
name.quest.ach.explore100탐험 100회"0
name.quest.ach.friends5친구 5명 사귀기",
name.quest.ach.hell3-10 지옥 클리어"*
name.quest.ach.level10레벨 10 달성"*
name.quest.ach.level20레벨 20 달성"*
name.quest.ach.level30레벨 30 달성"(
name.quest.ach.level5레벨 5 달성".
name.quest.ach.level50최고 레벨 달성"-
name.quest.ach.rare44성 몬스터 소환"-
name.quest.ach.rare55성 몬스터 소환")
name.quest.ach.summon100소환 100회"1
name.quest.daily.buy1상점에서 1회 구매")
name.quest.daily.checkin출석 체크"=
name.quest.daily.dungeon1 친구 던전에서 승리하기"2
name.quest.daily.enhance1몬스터 강화 1회"*
name.quest.daily.explore15탐험 15회"(
name.quest.daily.explore5탐험 5회"<
name.quest.daily.gift3"친구에게 선물 3번 보내기"0
name.quest.daily.hard1-5 어려움 클리어"&
name.quest.daily.login접속하기"8
name.quest.daily.stage10스테이지 10회 클리어"6
name.quest.daily.stage3스테이지 3회 클리어"'
name.quest.daily.summon1소환 1회"'
name.quest.daily.summon3소환 3회"5
name.quest.daily.win3stars별 3개로 3회 승리"#
name.shop.evolve_stone	진화석"%
name.shop.gems.daily일일 보석"%
name.shop.gold.large골드 상자"(
name.shop.gold.small골드 주머니")
name.shop.stamina.full스태미나 30"1
name.shop.stamina.gold스태미나 5 (골드)"*
name.shop.stamina.small스태미나 15"-
name.shop.starter_pack초보자 패키지"
name.stage.01.01
챕터 1-1"
name.stage.01.02
챕터 1-2"
name.stage.01.03
챕터 1-3"
name.stage.01.04
챕터 1-4"
name.stage.01.05
챕터 1-5"
name.stage.01.06
챕터 1-6"
name.stage.01.07
챕터 1-7"
name.stage.01.08
챕터 1-8"
name.stage.01.09
챕터 1-9"
name.stage.01.10챕터 1-10"
name.stage.02.01
챕터 2-1"
name.stage.02.02
챕터 2-2"
name.stage.02.03
챕터 2-3"
name.stage.02.04
챕터 2-4"
name.stage.02.05
챕터 2-5"
name.stage.02.06
챕터 2-6"
name.stage.02.07
챕터 2-7"
name.stage.02.08
챕터 2-8"
name.stage.02.09
챕터 2-9"
name.stage.02.10챕터 2-10"
name.stage.03.01
챕터 3-1"
name.stage.03.02
챕터 3-2"
name.stage.03.03
챕터 3-3"
name.stage.03.04
챕터 3-4"
name.stage.03.05
챕터 3-5"
name.stage.03.06
챕터 3-6"
name.stage.03.07
챕터 3-7"
name.stage.03.08
챕터 3-8"
name.stage.03.09
챕터 3-9"
name.stage.03.10챕터 3-10