@25734d1ac96064ff6df5d069bcab816987eec15977120f7dec4a1ed11a80b7d0fËd¨ (0(8
@HPXê`hpàx<Ädàêö
Asia/Seoul†2®∞
∏¿¨»–ÿ2‡êNË
2¯dÄdàÄ£R(

elem.watername.elem.water	elem.fireR&
	elem.firename.elem.fire	elem.treeR'
	elem.treename.elem.tree
elem.waterR(

elem.lightname.elem.light	elem.darkR'
	elem.darkname.elem.dark
elem.lightZF
mon.slime.water.1name.mon.slime.water.1
elem.water (À0_8A@5H	PZC
mon.slime.fire.1name.mon.slime.fire.1	elem.fire (Í0p8>@.H
PZC
mon.slime.tree.1name.mon.slime.tree.1	elem.tree (ä0d8H@0H	PZF
mon.slime.light.1name.mon.slime.light.1
elem.light (™0i8>@2H	PZC
mon.slime.dark.1name.mon.slime.dark.1	elem.dark (÷0s8@@,H
PZF
mon.squir.water.1name.mon.squir.water.1
elem.water (À0_8A@5H	PZC
mon.squir.fire.1name.mon.squir.fire.1	elem.fire (Í0p8>@.H
PZC
mon.squir.tree.1name.mon.squir.tree.1	elem.tree (ä0d8H@0H	PZF
mon.squir.light.1name.mon.squir.light.1
elem.light (™0i8>@2H	PZC
mon.squir.dark.1name.mon.squir.dark.1	elem.dark (÷0s8@@,H
PZL
mon.cocomaru.water.1name.mon.cocomaru.water.1
elem.water (À0_8A@5H	PZI
mon.cocomaru.fire.1name.mon.cocomaru.fire.1	elem.fire (Í0p8>@.H
PZI
mon.cocomaru.tree.1name.mon.cocomaru.tree.1	elem.tree (ä0d8H@0H	PZL
mon.cocomaru.light.1name.mon.cocomaru.light.1
elem.light (™0i8>@2H	PZI
mon.cocomaru.dark.1name.mon.cocomaru.dark.1	elem.dark (÷0s8@@,H
PZS
mon.jackolittle.water.2name.mon.jackolittle.water.2
elem.water (ﬁ0Ö8Z@IHP	ZP
mon.jackolittle.fire.2name.mon.jackolittle.fire.2	elem.fire (◊0ù8V@?HP	ZP
mon.jackolittle.tree.2name.mon.jackolittle.tree.2	elem.tree (Ñ0å8c@BHP
ZS
mon.jackolittle.light.2name.mon.jackolittle.light.2
elem.light (±0ì8V@EHP	ZP
mon.jackolittle.dark.2name.mon.jackolittle.dark.2	elem.dark (º0°8X@=HP	ZI
mon.slimeb.water.2name.mon.slimeb.water.2
elem.water (ﬁ0Ö8Z@IHP	ZF
mon.slimeb.fire.2name.mon.slimeb.fire.2	elem.fire (◊0ù8V@?HP	ZF
mon.slimeb.tree.2name.mon.slimeb.tree.2	elem.tree (Ñ0å8c@BHP
ZI
mon.slimeb.light.2name.mon.slimeb.light.2
elem.light (±0ì8V@EHP	ZF
mon.slimeb.dark.2name.mon.slimeb.dark.2	elem.dark (º0°8X@=HP	ZC
mon.anu.water.3name.mon.anu.water.3
elem.water (Ò	0´8s@\HPZ@
mon.anu.fire.3name.mon.anu.fire.3	elem.fire (ƒ0 8m@PHPZ@
mon.anu.tree.3name.mon.anu.tree.3	elem.tree (˛0¥8@THPZC
mon.anu.light.3name.mon.anu.light.3
elem.light (∏	0Ω8m@XHPZ@
mon.anu.dark.3name.mon.anu.dark.3	elem.dark (¢0œ8q@MHPZC
mon.leo.water.3name.mon.leo.water.3
elem.water (Ò	0´8s@\HPZ@
mon.leo.fire.3name.mon.leo.fire.3	elem.fire (ƒ0 8m@PHPZ@
mon.leo.tree.3name.mon.leo.tree.3	elem.tree (˛0¥8@THPZC
mon.leo.light.3name.mon.leo.light.3
elem.light (∏	0Ω8m@XHPZ@
mon.leo.dark.3name.mon.leo.dark.3	elem.dark (¢0œ8q@MHPZE
mon.lily.water.3name.mon.lily.water.3
elem.water (Ò	0´8s@\HPZB
mon.lily.fire.3name.mon.lily.fire.3	elem.fire (ƒ0 8m@PHPZB
mon.lily.tree.3name.mon.lily.tree.3	elem.tree (˛0¥8@THPZE
mon.lily.light.3name.mon.lily.light.3
elem.light (∏	0Ω8m@XHPZB
mon.lily.dark.3name.mon.lily.dark.3	elem.dark (¢0œ8q@MHPZJ
mon.seiren.water.4name.mon.seiren.water.4
elem.water (Ñ0—8å@pHPZG
mon.seiren.fire.4name.mon.seiren.fire.4	elem.fire (≤
0ˆ8Ö@aHPZG
mon.seiren.tree.4name.mon.seiren.tree.4	elem.tree (¯
0‹8ö@fHPZJ
mon.seiren.light.4name.mon.seiren.light.4
elem.light (æ0Á8Ö@kHPZG
mon.seiren.dark.4name.mon.seiren.dark.4	elem.dark (à
0˝8â@^HPZF
mon.sura.water.4name.mon.sura.water.4
elem.water (Ñ0—8å@pHPZC
mon.sura.fire.4name.mon.sura.fire.4	elem.fire (≤
0ˆ8Ö@aHPZC
mon.sura.tree.4name.mon.sura.tree.4	elem.tree (¯
0‹8ö@fHPZF
mon.sura.light.4name.mon.sura.light.4
elem.light (æ0Á8Ö@kHPZC
mon.sura.dark.4name.mon.sura.dark.4	elem.dark (à
0˝8â@^HPZG
mon.miho.water.5name.mon.miho.water.5
elem.water (ó0˜8•@ÑHPZC
mon.miho.fire.5name.mon.miho.fire.5	elem.fire (†0£8ù@rHPZC
mon.miho.tree.5name.mon.miho.tree.5	elem.tree (Ú0Ñ8∂@xHPZF
mon.miho.light.5name.mon.miho.light.5
elem.light (ƒ0ë8ù@~HPZC
mon.miho.dark.5name.mon.miho.dark.5	elem.dark (Ó0´8¢@nHPZS
mon.persephone.water.5name.mon.persephone.water.5
elem.water (ó0˜8•@ÑHPZO
mon.persephone.fire.5name.mon.persephone.fire.5	elem.fire (†0£8ù@rHPZO
mon.persephone.tree.5name.mon.persephone.tree.5	elem.tree (Ú0Ñ8∂@xHPZR
mon.persephone.light.5name.mon.persephone.light.5
elem.light (ƒ0ë8ù@~HPZO
mon.persephone.dark.5name.mon.persephone.dark.5	elem.dark (Ó0´8¢@nHPb’
pool.normalname.pool.normal Ë*
mon.slime.water.1<*
mon.slime.fire.1<*
mon.slime.tree.1<*
mon.slime.light.1<*
mon.slime.dark.1<*
mon.squir.water.1<*
mon.squir.fire.1<*
mon.squir.tree.1<*
mon.squir.light.1<*
mon.squir.dark.1<*
mon.cocomaru.water.1<*
mon.cocomaru.fire.1<*
mon.cocomaru.tree.1<*
mon.cocomaru.light.1<*
mon.cocomaru.dark.1<*
mon.jackolittle.water.2*
mon.jackolittle.fire.2*
mon.jackolittle.tree.2*
mon.jackolittle.light.2*
mon.jackolittle.dark.2*
mon.slimeb.water.2*
mon.slimeb.fire.2*
mon.slimeb.tree.2*
mon.slimeb.light.2*
mon.slimeb.dark.2*
mon.anu.water.3
*
mon.anu.fire.3
*
mon.anu.tree.3
*
mon.anu.light.3
*
mon.anu.dark.3
*
mon.leo.water.3
*
mon.leo.fire.3
*
mon.leo.tree.3
*
mon.leo.light.3
*
mon.leo.dark.3
*
mon.lily.water.3
*
mon.lily.fire.3
*
mon.lily.tree.3
*
mon.lily.light.3
*
mon.lily.dark.3
0®F:Ñ:¨:ñb’
pool.premiumname.pool.premium ¨*
mon.jackolittle.water.22*
mon.jackolittle.fire.22*
mon.jackolittle.tree.22*
mon.jackolittle.light.22*
mon.jackolittle.dark.22*
mon.slimeb.water.22*
mon.slimeb.fire.22*
mon.slimeb.tree.22*
mon.slimeb.light.22*
mon.slimeb.dark.22*
mon.anu.water.3#*
mon.anu.fire.3#*
mon.anu.tree.3#*
mon.anu.light.3#*
mon.anu.dark.3#*
mon.leo.water.3#*
mon.leo.fire.3#*
mon.leo.tree.3#*
mon.leo.light.3#*
mon.leo.dark.3#*
mon.lily.water.3#*
mon.lily.fire.3#*
mon.lily.tree.3#*
mon.lily.light.3#*
mon.lily.dark.3#*
mon.seiren.water.4*
mon.seiren.fire.4*
mon.seiren.tree.4*
mon.seiren.light.4*
mon.seiren.dark.4*
mon.sura.water.4*
mon.sura.fire.4*
mon.sura.tree.4*
mon.sura.light.4*
mon.sura.dark.4*
mon.miho.water.5*
mon.miho.fire.5*
mon.miho.tree.5*
mon.miho.light.5*
mon.miho.dark.5*
mon.persephone.water.5*
mon.persephone.fire.5*
mon.persephone.tree.5*
mon.persephone.light.5*
mon.persephone.dark.50å:Ù:ç:x:@(Hbˇ
pool.light_darkname.pool.light_dark Ù*
mon.anu.light.3F*
mon.anu.dark.3F*
mon.leo.light.3F*
mon.leo.dark.3F*
mon.lily.light.3F*
mon.lily.dark.3F*
mon.seiren.light.4*
mon.seiren.dark.4*
mon.sura.light.4*
mon.sura.dark.4*
mon.miho.light.5*
mon.miho.dark.5*
mon.persephone.light.5*
mon.persephone.dark.50î#:§:`:@Hb‘
pool.friendname.pool.friend »*
mon.slime.water.1<*
mon.slime.fire.1<*
mon.slime.tree.1<*
mon.slime.light.1<*
mon.slime.dark.1<*
mon.squir.water.1<*
mon.squir.fire.1<*
mon.squir.tree.1<*
mon.squir.light.1<*
mon.squir.dark.1<*
mon.cocomaru.water.1<*
mon.cocomaru.fire.1<*
mon.cocomaru.tree.1<*
mon.cocomaru.light.1<*
mon.cocomaru.dark.1<*
mon.jackolittle.water.2*
mon.jackolittle.fire.2*
mon.jackolittle.tree.2*
mon.jackolittle.light.2*
mon.jackolittle.dark.2*
mon.slimeb.water.2*
mon.slimeb.fire.2*
mon.slimeb.tree.2*
mon.slimeb.light.2*
mon.slimeb.dark.2*
mon.anu.water.3
*
mon.anu.fire.3
*
mon.anu.tree.3
*
mon.anu.light.3
*
mon.anu.dark.3
*
mon.leo.water.3
*
mon.leo.fire.3
*
mon.leo.tree.3
*
mon.leo.light.3
*
mon.leo.dark.3
*
mon.lily.water.3
*
mon.lily.fire.3
*
mon.lily.tree.3
*
mon.lily.light.3
*
mon.lily.dark.3
0à:Ñ:¨:<jâ
stage.01.01name.stage.01.01"ümon.slime.tree.1
mon.slime.tree.17
mon.squir.tree.1
mon.cocomaru.tree.1*mon.slime.tree.1*mon.squir.tree.1*mon.cocomaru.tree.108@åHP<X*„mon.squir.water.1mon.squir.tree.1mon.cocomaru.water.1
mon.squir.water.17
mon.cocomaru.water.1
mon.slime.water.1"stage.01.01:normal*mon.squir.water.1*mon.cocomaru.water.1*mon.slime.water.108 @‘HPËX
2›mon.squir.tree.1mon.cocomaru.water.1mon.cocomaru.tree.1
mon.squir.tree.17
mon.cocomaru.tree.1
mon.slime.tree.1"stage.01.01:hard*mon.squir.tree.1*mon.cocomaru.tree.1*mon.slime.tree.108*@úH(PîXjœ
stage.01.02name.stage.01.02"‚mon.squir.water.1mon.squir.tree.1mon.cocomaru.water.1
mon.squir.water.17
mon.cocomaru.water.1
mon.slime.water.1"stage.01.01:normal*mon.squir.water.1*mon.cocomaru.water.1*mon.slime.water.108@†HPZX*ﬂmon.squir.tree.1mon.cocomaru.water.1mon.cocomaru.tree.1
mon.squir.tree.17
mon.cocomaru.tree.1
mon.slime.tree.1"stage.01.02:normal*mon.squir.tree.1*mon.cocomaru.tree.1*mon.slime.tree.108"@ËHPÜX
2‰mon.cocomaru.water.1mon.cocomaru.tree.1mon.slime.water.1
mon.cocomaru.water.17
mon.slime.water.1
mon.squir.water.1"stage.01.02:hard*mon.cocomaru.water.1*mon.slime.water.1*mon.squir.water.108,@∞H(P≤Xj»
stage.01.03name.stage.01.03"ﬁmon.squir.tree.1mon.cocomaru.water.1mon.cocomaru.tree.1
mon.squir.tree.17
mon.cocomaru.tree.1
mon.slime.tree.1"stage.01.02:normal*mon.squir.tree.1*mon.cocomaru.tree.1*mon.slime.tree.108@¥HPxX*Êmon.cocomaru.water.1mon.cocomaru.tree.1mon.slime.water.1
mon.cocomaru.water.17
mon.slime.water.1
mon.squir.water.1"stage.01.03:normal*mon.cocomaru.water.1*mon.slime.water.1*mon.squir.water.108$@¸HP§X
2⁄mon.cocomaru.tree.1mon.slime.water.1mon.slime.tree.1
mon.cocomaru.tree.17
mon.slime.tree.1
mon.squir.tree.1"stage.01.03:hard*mon.cocomaru.tree.1*mon.slime.tree.1*mon.squir.tree.108.@ƒH(P–Xj 
stage.01.04name.stage.01.04"Êmon.cocomaru.water.1mon.cocomaru.tree.1mon.slime.water.1
mon.cocomaru.water.17
mon.slime.water.1
mon.squir.water.1"stage.01.03:normal*mon.cocomaru.water.1*mon.slime.water.1*mon.squir.water.108@»HPñX*‹mon.cocomaru.tree.1mon.slime.water.1mon.slime.tree.1
mon.cocomaru.tree.17
mon.slime.tree.1
mon.squir.tree.1"stage.01.04:normal*mon.cocomaru.tree.1*mon.slime.tree.1*mon.squir.tree.108&@êHP¬X
2ﬁmon.slime.water.1mon.slime.tree.1mon.squir.water.1
mon.slime.water.17
mon.squir.water.1
mon.cocomaru.water.1"stage.01.04:hard*mon.slime.water.1*mon.squir.water.1*mon.cocomaru.water.1080@ÿH(PÓXjΩ
stage.01.05name.stage.01.05"‹mon.cocomaru.tree.1mon.slime.water.1mon.slime.tree.1
mon.cocomaru.tree.17
mon.slime.tree.1
mon.squir.tree.1"stage.01.04:normal*mon.cocomaru.tree.1*mon.slime.tree.1*mon.squir.tree.108@‹HP¥X*‡mon.slime.water.1mon.slime.tree.1mon.squir.water.1
mon.slime.water.17
mon.squir.water.1
mon.cocomaru.water.1"stage.01.05:normal*mon.slime.water.1*mon.squir.water.1*mon.cocomaru.water.108(@§HP‡X
2◊mon.slime.tree.1mon.squir.water.1mon.squir.tree.1
mon.slime.tree.17
mon.squir.tree.1
mon.cocomaru.tree.1"stage.01.05:hard*mon.slime.tree.1*mon.squir.tree.1*mon.cocomaru.tree.1082@ÏH(PåXj´
stage.01.06name.stage.01.06"åmon.jackolittle.water.2mon.jackolittle.tree.2mon.slimeb.water.2
mon.jackolittle.water.22
mon.slimeb.water.2
mon.slime.water.1
mon.squir.water.1"stage.01.05:normal*mon.jackolittle.water.2*mon.slimeb.water.2*mon.slime.water.108 @HP“X*ˇmon.jackolittle.tree.2mon.slimeb.water.2mon.slimeb.tree.2
mon.jackolittle.tree.22
mon.slimeb.tree.2
mon.slime.tree.1
mon.squir.tree.1"stage.01.06:normal*mon.jackolittle.tree.2*mon.slimeb.tree.2*mon.slime.tree.108*@∏HP˛X
2ˆmon.slimeb.water.2mon.slimeb.tree.2mon.slime.water.1
mon.slimeb.water.22
mon.slime.water.1
mon.squir.water.1
mon.cocomaru.water.1"stage.01.06:hard*mon.slimeb.water.2*mon.slime.water.1*mon.squir.water.1084@ÄH(P™Xjé
stage.01.07name.stage.01.07"ˇmon.jackolittle.tree.2mon.slimeb.water.2mon.slimeb.tree.2
mon.jackolittle.tree.22
mon.slimeb.tree.2
mon.slime.tree.1
mon.squir.tree.1"stage.01.06:normal*mon.jackolittle.tree.2*mon.slimeb.tree.2*mon.slime.tree.108"@ÑHPX*¯mon.slimeb.water.2mon.slimeb.tree.2mon.slime.water.1
mon.slimeb.water.22
mon.slime.water.1
mon.squir.water.1
mon.cocomaru.water.1"stage.01.07:normal*mon.slimeb.water.2*mon.slime.water.1*mon.squir.water.108,@ÃHPúX
2Ìmon.slimeb.tree.2mon.slime.water.1mon.slime.tree.1
mon.slimeb.tree.22
mon.slime.tree.1
mon.squir.tree.1
mon.cocomaru.tree.1"stage.01.07:hard*mon.slimeb.tree.2*mon.slime.tree.1*mon.squir.tree.1086@îH(P»Xjå
stage.01.08name.stage.01.08"¯mon.slimeb.water.2mon.slimeb.tree.2mon.slime.water.1
mon.slimeb.water.22
mon.slime.water.1
mon.squir.water.1
mon.cocomaru.water.1"stage.01.07:normal*mon.slimeb.water.2*mon.slime.water.1*mon.squir.water.10	8$@òHPéX*Ômon.slimeb.tree.2mon.slime.water.1mon.slime.tree.1
mon.slimeb.tree.22
mon.slime.tree.1
mon.squir.tree.1
mon.cocomaru.tree.1"stage.01.08:normal*mon.slimeb.tree.2*mon.slime.tree.1*mon.squir.tree.108.@‡HP∫X
2˚mon.slime.water.1mon.slime.tree.1mon.squir.water.1
mon.slime.water.12
mon.squir.water.1
mon.cocomaru.water.1
mon.jackolittle.water.2"stage.01.08:hard*mon.slime.water.1*mon.squir.water.1*mon.cocomaru.water.1088@®H(PÊXjâ
stage.01.09name.stage.01.09"Ômon.slimeb.tree.2mon.slime.water.1mon.slime.tree.1
mon.slimeb.tree.22
mon.slime.tree.1
mon.squir.tree.1
mon.cocomaru.tree.1"stage.01.08:normal*mon.slimeb.tree.2*mon.slime.tree.1*mon.squir.tree.10
8&@¨HP¨X*˝mon.slime.water.1mon.slime.tree.1mon.squir.water.1
mon.slime.water.12
mon.squir.water.1
mon.cocomaru.water.1
mon.jackolittle.water.2"stage.01.09:normal*mon.slime.water.1*mon.squir.water.1*mon.cocomaru.water.1080@ÙHPÿX
2Ûmon.slime.tree.1mon.squir.water.1mon.squir.tree.1
mon.slime.tree.12
mon.squir.tree.1
mon.cocomaru.tree.1
mon.jackolittle.tree.2"stage.01.09:hard*mon.slime.tree.1*mon.squir.tree.1*mon.cocomaru.tree.108:@ºH(PÑXj°
stage.01.10name.stage.01.10"˝mon.slime.water.1mon.slime.tree.1mon.squir.water.1
mon.slime.water.12
mon.squir.water.1
mon.cocomaru.water.1
mon.jackolittle.water.2"stage.01.09:normal*mon.slime.water.1*mon.squir.water.1*mon.cocomaru.water.108(@¿HP X*ımon.slime.tree.1mon.squir.water.1mon.squir.tree.1
mon.slime.tree.12
mon.squir.tree.1
mon.cocomaru.tree.1
mon.jackolittle.tree.2"stage.01.10:normal*mon.slime.tree.1*mon.squir.tree.1*mon.cocomaru.tree.1082@àHPˆX
2Ömon.squir.water.1mon.squir.tree.1mon.cocomaru.water.1
mon.squir.water.12
mon.cocomaru.water.1
mon.jackolittle.water.2
mon.slimeb.water.2"stage.01.10:hard*mon.squir.water.1*mon.cocomaru.water.1*mon.jackolittle.water.208<@–H(P¢XjÆ
stage.02.01name.stage.02.01"˝mon.slime.light.1mon.squir.fire.1mon.squir.light.1
mon.slime.light.12
mon.squir.light.1
mon.cocomaru.light.1
mon.jackolittle.light.2"stage.01.10:normal*mon.slime.light.1*mon.squir.light.1*mon.cocomaru.light.108@‘HPËX*ˇmon.squir.fire.1mon.squir.light.1mon.cocomaru.fire.1
mon.squir.fire.12
mon.cocomaru.fire.1
mon.jackolittle.fire.2
mon.slimeb.fire.2"stage.02.01:normal*mon.squir.fire.1*mon.cocomaru.fire.1*mon.jackolittle.fire.208 @úH(PîX
2à
mon.squir.light.1mon.cocomaru.fire.1mon.cocomaru.light.1
mon.squir.light.12
mon.cocomaru.light.1
mon.jackolittle.light.2
mon.slimeb.light.2"stage.02.01:hard*mon.squir.light.1*mon.cocomaru.light.1*mon.jackolittle.light.20 8*@‰H2P¿Xj∫
stage.02.02name.stage.02.02"ˇmon.squir.fire.1mon.squir.light.1mon.cocomaru.fire.1
mon.squir.fire.12
mon.cocomaru.fire.1
mon.jackolittle.fire.2
mon.slimeb.fire.2"stage.02.01:normal*mon.squir.fire.1*mon.cocomaru.fire.1*mon.jackolittle.fire.208@ËHPÜX*ämon.squir.light.1mon.cocomaru.fire.1mon.cocomaru.light.1
mon.squir.light.12
mon.cocomaru.light.1
mon.jackolittle.light.2
mon.slimeb.light.2"stage.02.02:normal*mon.squir.light.1*mon.cocomaru.light.1*mon.jackolittle.light.208"@∞H(P≤X
2á
mon.cocomaru.fire.1mon.cocomaru.light.1mon.jackolittle.fire.2
mon.cocomaru.fire.12
mon.jackolittle.fire.2
mon.slimeb.fire.2
mon.slime.fire.1"stage.02.02:hard*mon.cocomaru.fire.1*mon.jackolittle.fire.2*mon.slimeb.fire.20!8,@¯H2PﬁXjœ
stage.02.03name.stage.02.03"ämon.squir.light.1mon.cocomaru.fire.1mon.cocomaru.light.1
mon.squir.light.12
mon.cocomaru.light.1
mon.jackolittle.light.2
mon.slimeb.light.2"stage.02.02:normal*mon.squir.light.1*mon.cocomaru.light.1*mon.jackolittle.light.208@¸HP§X*âmon.cocomaru.fire.1mon.cocomaru.light.1mon.jackolittle.fire.2
mon.cocomaru.fire.12
mon.jackolittle.fire.2
mon.slimeb.fire.2
mon.slime.fire.1"stage.02.03:normal*mon.cocomaru.fire.1*mon.jackolittle.fire.2*mon.slimeb.fire.208$@ƒH(P–X
2í
mon.cocomaru.light.1mon.jackolittle.fire.2mon.jackolittle.light.2
mon.cocomaru.light.12
mon.jackolittle.light.2
mon.slimeb.light.2
mon.slime.light.1"stage.02.03:hard*mon.cocomaru.light.1*mon.jackolittle.light.2*mon.slimeb.light.20"8.@åH2P¸Xj…
stage.02.04name.stage.02.04"âmon.cocomaru.fire.1mon.cocomaru.light.1mon.jackolittle.fire.2
mon.cocomaru.fire.12
mon.jackolittle.fire.2
mon.slimeb.fire.2
mon.slime.fire.1"stage.02.03:normal*mon.cocomaru.fire.1*mon.jackolittle.fire.2*mon.slimeb.fire.208@êHP¬X*îmon.cocomaru.light.1mon.jackolittle.fire.2mon.jackolittle.light.2
mon.cocomaru.light.12
mon.jackolittle.light.2
mon.slimeb.light.2
mon.slime.light.1"stage.02.04:normal*mon.cocomaru.light.1*mon.jackolittle.light.2*mon.slimeb.light.208&@ÿH(PÓX
2Ç
mon.jackolittle.fire.2mon.jackolittle.light.2mon.slimeb.fire.2
mon.jackolittle.fire.22
mon.slimeb.fire.2
mon.slime.fire.1
mon.squir.fire.1"stage.02.04:hard*mon.jackolittle.fire.2*mon.slimeb.fire.2*mon.slime.fire.10#80@†H2PöXj«
stage.02.05name.stage.02.05"îmon.cocomaru.light.1mon.jackolittle.fire.2mon.jackolittle.light.2
mon.cocomaru.light.12
mon.jackolittle.light.2
mon.slimeb.light.2
mon.slime.light.1"stage.02.04:normal*mon.cocomaru.light.1*mon.jackolittle.light.2*mon.slimeb.light.208@§HP‡X*Ñmon.jackolittle.fire.2mon.jackolittle.light.2mon.slimeb.fire.2
mon.jackolittle.fire.22
mon.slimeb.fire.2
mon.slime.fire.1
mon.squir.fire.1"stage.02.05:normal*mon.jackolittle.fire.2*mon.slimeb.fire.2*mon.slime.fire.108(@ÏH(PåX
2Ö
mon.jackolittle.light.2mon.slimeb.fire.2mon.slimeb.light.2
mon.jackolittle.light.22
mon.slimeb.light.2
mon.slime.light.1
mon.squir.light.1"stage.02.05:hard*mon.jackolittle.light.2*mon.slimeb.light.2*mon.slime.light.10$82@¥H2P∏Xjâ
stage.02.06name.stage.02.06"˛mon.jackolittle.fire.2mon.jackolittle.light.2mon.slimeb.fire.2
mon.jackolittle.fire.22
mon.slimeb.fire.2
mon.anu.fire.3
mon.leo.fire.3"stage.02.05:normal*mon.jackolittle.fire.2*mon.slimeb.fire.2*mon.anu.fire.308 @∏HP˛X*Åmon.jackolittle.light.2mon.slimeb.fire.2mon.slimeb.light.2
mon.jackolittle.light.22
mon.slimeb.light.2
mon.anu.light.3
mon.leo.light.3"stage.02.06:normal*mon.jackolittle.light.2*mon.slimeb.light.2*mon.anu.light.308*@ÄH(P™X
2‡
mon.slimeb.fire.2mon.slimeb.light.2mon.anu.fire.3
mon.slimeb.fire.22
mon.anu.fire.3
mon.leo.fire.3
mon.lily.fire.3"stage.02.06:hard*mon.slimeb.fire.2*mon.anu.fire.3*mon.leo.fire.30%84@»H2P÷XjÚ
stage.02.07name.stage.02.07"Åmon.jackolittle.light.2mon.slimeb.fire.2mon.slimeb.light.2
mon.jackolittle.light.22
mon.slimeb.light.2
mon.anu.light.3
mon.leo.light.3"stage.02.06:normal*mon.jackolittle.light.2*mon.slimeb.light.2*mon.anu.light.308"@ÃHPúX*‚mon.slimeb.fire.2mon.slimeb.light.2mon.anu.fire.3
mon.slimeb.fire.22
mon.anu.fire.3
mon.leo.fire.3
mon.lily.fire.3"stage.02.07:normal*mon.slimeb.fire.2*mon.anu.fire.3*mon.leo.fire.308,@îH(P»X
2Â
mon.slimeb.light.2mon.anu.fire.3mon.anu.light.3
mon.slimeb.light.22
mon.anu.light.3
mon.leo.light.3
mon.lily.light.3"stage.02.07:hard*mon.slimeb.light.2*mon.anu.light.3*mon.leo.light.30&86@‹H2PÙXj 
stage.02.08name.stage.02.08"‚mon.slimeb.fire.2mon.slimeb.light.2mon.anu.fire.3
mon.slimeb.fire.22
mon.anu.fire.3
mon.leo.fire.3
mon.lily.fire.3"stage.02.07:normal*mon.slimeb.fire.2*mon.anu.fire.3*mon.leo.fire.308$@‡HP∫X*Ámon.slimeb.light.2mon.anu.fire.3mon.anu.light.3
mon.slimeb.light.22
mon.anu.light.3
mon.leo.light.3
mon.lily.light.3"stage.02.08:normal*mon.slimeb.light.2*mon.anu.light.3*mon.leo.light.308.@®H(PÊX
2◊
mon.anu.fire.3mon.anu.light.3mon.leo.fire.3
mon.anu.fire.32
mon.leo.fire.3
mon.lily.fire.3
mon.slime.fire.1"stage.02.08:hard*mon.anu.fire.3*mon.leo.fire.3*mon.lily.fire.30'88@H2Pí	Xj…
stage.02.09name.stage.02.09"Ámon.slimeb.light.2mon.anu.fire.3mon.anu.light.3
mon.slimeb.light.22
mon.anu.light.3
mon.leo.light.3
mon.lily.light.3"stage.02.08:normal*mon.slimeb.light.2*mon.anu.light.3*mon.leo.light.308&@ÙHPÿX*Ÿmon.anu.fire.3mon.anu.light.3mon.leo.fire.3
mon.anu.fire.32
mon.leo.fire.3
mon.lily.fire.3
mon.slime.fire.1"stage.02.09:normal*mon.anu.fire.3*mon.leo.fire.3*mon.lily.fire.3080@ºH(PÑX
2ﬂ
mon.anu.light.3mon.leo.fire.3mon.leo.light.3
mon.anu.light.32
mon.leo.light.3
mon.lily.light.3
mon.slime.light.1"stage.02.09:hard*mon.anu.light.3*mon.leo.light.3*mon.lily.light.30(8:@ÑH2P∞	Xj¿
stage.02.10name.stage.02.10"Ÿmon.anu.fire.3mon.anu.light.3mon.leo.fire.3
mon.anu.fire.32
mon.leo.fire.3
mon.lily.fire.3
mon.slime.fire.1"stage.02.09:normal*mon.anu.fire.3*mon.leo.fire.3*mon.lily.fire.308(@àHPˆX*·mon.anu.light.3mon.leo.fire.3mon.leo.light.3
mon.anu.light.32
mon.leo.light.3
mon.lily.light.3
mon.slime.light.1"stage.02.10:normal*mon.anu.light.3*mon.leo.light.3*mon.lily.light.3082@–H(P¢X
2‹
mon.leo.fire.3mon.leo.light.3mon.lily.fire.3
mon.leo.fire.32
mon.lily.fire.3
mon.slime.fire.1
mon.squir.fire.1"stage.02.10:hard*mon.leo.fire.3*mon.lily.fire.3*mon.slime.fire.10)8<@òH2PŒ	XjÇ
stage.03.01name.stage.03.01"Ómon.slime.fire.1mon.slime.dark.1mon.squir.water.1
mon.slime.fire.12
mon.squir.water.1
mon.squir.dark.1
mon.cocomaru.fire.1"stage.02.10:normal*mon.slime.fire.1*mon.squir.water.1*mon.squir.dark.108@úHPîX*Ù	mon.slime.dark.1mon.squir.water.1mon.squir.fire.1
mon.slime.dark.12
mon.squir.fire.1
mon.cocomaru.water.1
mon.cocomaru.dark.1"stage.03.01:normal*mon.slime.dark.1*mon.squir.fire.1*mon.cocomaru.water.10 8 @‰H-P¿X
2ˆmon.squir.water.1mon.squir.fire.1mon.squir.dark.1
mon.squir.water.12
mon.squir.dark.1
mon.cocomaru.fire.1
mon.jackolittle.water.2"stage.03.01:hard*mon.squir.water.1*mon.squir.dark.1*mon.cocomaru.fire.10*8*@¨H<PÏ	Xjî
stage.03.02name.stage.03.02"Ùmon.slime.dark.1mon.squir.water.1mon.squir.fire.1
mon.slime.dark.12
mon.squir.fire.1
mon.cocomaru.water.1
mon.cocomaru.dark.1"stage.03.01:normal*mon.slime.dark.1*mon.squir.fire.1*mon.cocomaru.water.108@∞HP≤X*¯	mon.squir.water.1mon.squir.fire.1mon.squir.dark.1
mon.squir.water.12
mon.squir.dark.1
mon.cocomaru.fire.1
mon.jackolittle.water.2"stage.03.02:normal*mon.squir.water.1*mon.squir.dark.1*mon.cocomaru.fire.10!8"@¯H-PﬁX
2˛mon.squir.fire.1mon.squir.dark.1mon.cocomaru.water.1
mon.squir.fire.12
mon.cocomaru.water.1
mon.cocomaru.dark.1
mon.jackolittle.fire.2"stage.03.02:hard*mon.squir.fire.1*mon.cocomaru.water.1*mon.cocomaru.dark.10+8,@¿H<Pä
Xj©
stage.03.03name.stage.03.03"¯mon.squir.water.1mon.squir.fire.1mon.squir.dark.1
mon.squir.water.12
mon.squir.dark.1
mon.cocomaru.fire.1
mon.jackolittle.water.2"stage.03.02:normal*mon.squir.water.1*mon.squir.dark.1*mon.cocomaru.fire.108@ƒHP–X*Ä	mon.squir.fire.1mon.squir.dark.1mon.cocomaru.water.1
mon.squir.fire.12
mon.cocomaru.water.1
mon.cocomaru.dark.1
mon.jackolittle.fire.2"stage.03.03:normal*mon.squir.fire.1*mon.cocomaru.water.1*mon.cocomaru.dark.10"8$@åH-P¸X
2ámon.squir.dark.1mon.cocomaru.water.1mon.cocomaru.fire.1
mon.squir.dark.12
mon.cocomaru.fire.1
mon.jackolittle.water.2
mon.jackolittle.dark.2"stage.03.03:hard*mon.squir.dark.1*mon.cocomaru.fire.1*mon.jackolittle.water.20,8.@‘H<P®
Xjø
stage.03.04name.stage.03.04"Ämon.squir.fire.1mon.squir.dark.1mon.cocomaru.water.1
mon.squir.fire.12
mon.cocomaru.water.1
mon.cocomaru.dark.1
mon.jackolittle.fire.2"stage.03.03:normal*mon.squir.fire.1*mon.cocomaru.water.1*mon.cocomaru.dark.108@ÿHPÓX*â	mon.squir.dark.1mon.cocomaru.water.1mon.cocomaru.fire.1
mon.squir.dark.12
mon.cocomaru.fire.1
mon.jackolittle.water.2
mon.jackolittle.dark.2"stage.03.04:normal*mon.squir.dark.1*mon.cocomaru.fire.1*mon.jackolittle.water.20#8&@†H-PöX
2åmon.cocomaru.water.1mon.cocomaru.fire.1mon.cocomaru.dark.1
mon.cocomaru.water.12
mon.cocomaru.dark.1
mon.jackolittle.fire.2
mon.slimeb.water.2"stage.03.04:hard*mon.cocomaru.water.1*mon.cocomaru.dark.1*mon.jackolittle.fire.20-80@ËH<P∆
Xj’
stage.03.05name.stage.03.05"âmon.squir.dark.1mon.cocomaru.water.1mon.cocomaru.fire.1
mon.squir.dark.12
mon.cocomaru.fire.1
mon.jackolittle.water.2
mon.jackolittle.dark.2"stage.03.04:normal*mon.squir.dark.1*mon.cocomaru.fire.1*mon.jackolittle.water.208@ÏHPåX*é	mon.cocomaru.water.1mon.cocomaru.fire.1mon.cocomaru.dark.1
mon.cocomaru.water.12
mon.cocomaru.dark.1
mon.jackolittle.fire.2
mon.slimeb.water.2"stage.03.05:normal*mon.cocomaru.water.1*mon.cocomaru.dark.1*mon.jackolittle.fire.20$8(@¥H-P∏X
2îmon.cocomaru.fire.1mon.cocomaru.dark.1mon.jackolittle.water.2
mon.cocomaru.fire.12
mon.jackolittle.water.2
mon.jackolittle.dark.2
mon.slimeb.fire.2"stage.03.05:hard*mon.cocomaru.fire.1*mon.jackolittle.water.2*mon.jackolittle.dark.20.82@¸H<P‰
Xj€
stage.03.06name.stage.03.06"émon.cocomaru.water.1mon.cocomaru.fire.1mon.cocomaru.dark.1
mon.cocomaru.water.12
mon.cocomaru.dark.1
mon.jackolittle.fire.2
mon.slimeb.water.2"stage.03.05:normal*mon.cocomaru.water.1*mon.cocomaru.dark.1*mon.jackolittle.fire.208 @ÄHP™X*ñ	mon.cocomaru.fire.1mon.cocomaru.dark.1mon.jackolittle.water.2
mon.cocomaru.fire.12
mon.jackolittle.water.2
mon.jackolittle.dark.2
mon.slimeb.fire.2"stage.03.06:normal*mon.cocomaru.fire.1*mon.jackolittle.water.2*mon.jackolittle.dark.20%8*@»H-P÷X
2çmon.cocomaru.dark.1mon.jackolittle.water.2mon.jackolittle.fire.2
mon.cocomaru.dark.12
mon.jackolittle.fire.2
mon.slimeb.water.2
mon.slimeb.dark.2"stage.03.06:hard*mon.cocomaru.dark.1*mon.jackolittle.fire.2*mon.slimeb.water.20/84@êH<PÇXj„
stage.03.07name.stage.03.07"ñmon.cocomaru.fire.1mon.cocomaru.dark.1mon.jackolittle.water.2
mon.cocomaru.fire.12
mon.jackolittle.water.2
mon.jackolittle.dark.2
mon.slimeb.fire.2"stage.03.06:normal*mon.cocomaru.fire.1*mon.jackolittle.water.2*mon.jackolittle.dark.208"@îHP»X*è	mon.cocomaru.dark.1mon.jackolittle.water.2mon.jackolittle.fire.2
mon.cocomaru.dark.12
mon.jackolittle.fire.2
mon.slimeb.water.2
mon.slimeb.dark.2"stage.03.07:normal*mon.cocomaru.dark.1*mon.jackolittle.fire.2*mon.slimeb.water.20&8,@‹H-PÙX
2îmon.jackolittle.water.2mon.jackolittle.fire.2mon.jackolittle.dark.2
mon.jackolittle.water.22
mon.jackolittle.dark.2
mon.slimeb.fire.2
mon.anu.water.3"stage.03.07:hard*mon.jackolittle.water.2*mon.jackolittle.dark.2*mon.slimeb.fire.20086@§H<P†Xj”
stage.03.08name.stage.03.08"èmon.cocomaru.dark.1mon.jackolittle.water.2mon.jackolittle.fire.2
mon.cocomaru.dark.12
mon.jackolittle.fire.2
mon.slimeb.water.2
mon.slimeb.dark.2"stage.03.07:normal*mon.cocomaru.dark.1*mon.jackolittle.fire.2*mon.slimeb.water.208$@®HPÊX*ñ	mon.jackolittle.water.2mon.jackolittle.fire.2mon.jackolittle.dark.2
mon.jackolittle.water.22
mon.jackolittle.dark.2
mon.slimeb.fire.2
mon.anu.water.3"stage.03.08:normal*mon.jackolittle.water.2*mon.jackolittle.dark.2*mon.slimeb.fire.20'8.@H-Pí	X
2Ñmon.jackolittle.fire.2mon.jackolittle.dark.2mon.slimeb.water.2
mon.jackolittle.fire.22
mon.slimeb.water.2
mon.slimeb.dark.2
mon.anu.fire.3"stage.03.08:hard*mon.jackolittle.fire.2*mon.slimeb.water.2*mon.slimeb.dark.20188@∏H<PæXjø
stage.03.09name.stage.03.09"ñmon.jackolittle.water.2mon.jackolittle.fire.2mon.jackolittle.dark.2
mon.jackolittle.water.22
mon.jackolittle.dark.2
mon.slimeb.fire.2
mon.anu.water.3"stage.03.08:normal*mon.jackolittle.water.2*mon.jackolittle.dark.2*mon.slimeb.fire.208&@ºHPÑX*Ü	mon.jackolittle.fire.2mon.jackolittle.dark.2mon.slimeb.water.2
mon.jackolittle.fire.22
mon.slimeb.water.2
mon.slimeb.dark.2
mon.anu.fire.3"stage.03.09:normal*mon.jackolittle.fire.2*mon.slimeb.water.2*mon.slimeb.dark.20(80@ÑH-P∞	X
2˘mon.jackolittle.dark.2mon.slimeb.water.2mon.slimeb.fire.2
mon.jackolittle.dark.22
mon.slimeb.fire.2
mon.anu.water.3
mon.anu.dark.3"stage.03.09:hard*mon.jackolittle.dark.2*mon.slimeb.fire.2*mon.anu.water.3028:@ÃH<P‹Xjñ
stage.03.10name.stage.03.10"Ümon.jackolittle.fire.2mon.jackolittle.dark.2mon.slimeb.water.2
mon.jackolittle.fire.22
mon.slimeb.water.2
mon.slimeb.dark.2
mon.anu.fire.3"stage.03.09:normal*mon.jackolittle.fire.2*mon.slimeb.water.2*mon.slimeb.dark.208(@–HP¢X*˚	mon.jackolittle.dark.2mon.slimeb.water.2mon.slimeb.fire.2
mon.jackolittle.dark.22
mon.slimeb.fire.2
mon.anu.water.3
mon.anu.dark.3"stage.03.10:normal*mon.jackolittle.dark.2*mon.slimeb.fire.2*mon.anu.water.30)82@òH-PŒ	X
2Îmon.slimeb.water.2mon.slimeb.fire.2mon.slimeb.dark.2
mon.slimeb.water.22
mon.slimeb.dark.2
mon.anu.fire.3
mon.leo.water.3"stage.03.10:hard*mon.slimeb.water.2*mon.slimeb.dark.2*mon.anu.fire.3038<@‡H<P˙Xr:
quest.daily.loginname.quest.daily.login"login08@
rC
quest.daily.explore5name.quest.daily.explore5"explore08@ÙrD
quest.daily.explore15name.quest.daily.explore15"explore08@r@
quest.daily.summon1name.quest.daily.summon1"summon08@Ër?
quest.daily.summon3name.quest.daily.summon3"summon08@rC
quest.daily.stage3name.quest.daily.stage3"stage_clear08@†rD
quest.daily.stage10name.quest.daily.stage10"stage_clear0
8@rP
quest.daily.hardname.quest.daily.hard"stage_clear*stage.01.05:hard08@rE
quest.ach.level5name.quest.ach.level5"level_reached*508@2HrH
quest.ach.level10name.quest.ach.level10"level_reached*1008@dHrI
quest.ach.level20name.quest.ach.level20"level_reached*2008@»HrI
quest.ach.level30name.quest.ach.level30"level_reached*3008@¨HrI
quest.ach.level50name.quest.ach.level50"level_reached*5008@ËHrN
quest.ach.ch1name.quest.ach.ch1"stage_clear*stage.01.10:normal08@dHrO
quest.ach.ch2name.quest.ach.ch2"stage_clear*stage.02.10:normal08@ñHrO
quest.ach.ch3name.quest.ach.ch3"stage_clear*stage.03.10:normal08@»HrO
quest.ach.hellname.quest.ach.hell"stage_clear*stage.03.10:hell08@ÙHr<
quest.ach.rare4name.quest.ach.rare4"summon*408@dHr=
quest.ach.rare5name.quest.ach.rare5"summon*508@¨HrE
quest.ach.explore100name.quest.ach.explore100"explore0d8@»HrC
quest.daily.enhance1name.quest.daily.enhance1"enhance08@ÙrJ
quest.daily.win3starsname.quest.daily.win3stars"
battle_won*308@
r<
quest.daily.buy1name.quest.daily.buy1"purchase08@¨rB
quest.daily.checkinname.quest.daily.checkin"check_in08@¨rB
quest.ach.summon100name.quest.ach.summon100"summon0d8@¨HrB
quest.ach.enhance50name.quest.ach.enhance50"enhance028@dHr>
quest.daily.gift3name.quest.daily.gift3"	gift_sent08@rC
quest.ach.friends5name.quest.ach.friends5"friend_added08@2rG
quest.daily.dungeon1name.quest.daily.dungeon1"dungeon_won08@Ùr:
quest.ach.clanname.quest.ach.clan"clan_joined08@z>
shop.stamina.smallname.shop.stamina.small *stamina08z<
shop.stamina.fullname.shop.stamina.full 2*stamina08z4
shop.gold.smallname.shop.gold.small 2*gold0à'z6
shop.gold.largename.shop.gold.large »*gold0®√z7
shop.gems.dailyname.shop.gems.daily †ú*gems0
8z=
shop.stamina.goldname.shop.stamina.gold ∏*stamina08
zG
shop.evolve_stonename.shop.evolve_stone à'*item.evolve_stone08z;
shop.starter_packname.shop.starter_pack d*gold0–Ü@ÇdÇnÇy ÇÖ!Çí"Ç°#Ç±$Ç√%Ç	÷&Ç
Ï'ÇÉ(Çù)Ç∫*ÇŸ+Ç¸,Ç¢-ÇÀ.Ç˘/Ç¨0Ç‰1Ç°2Ç‰3ÇÆ4Çˇ5ÇŸ6Çª7Ç®	8Çü
9Ç¢:Ç≤;Ç—<Ç ˇ=Ç!ø>Ç"ì?Ç#˚@Ç$˙AÇ%ìBÇ&»CÇ'úDÇ(í EÇ)Æ#FÇ*Û&GÇ+‰*HÇ,à/IÇ-‚3JÇ.˘8KÇ/“>LÇ0ÙDMÇ1ÊKNÇ2Oä$( d(à'2item.evolve_stone8@dH
ä&< »(êN2item.evolve_stone8@¨H
ä'(Z ê(†ú2item.evolve_stone8@ÑH
ä(2å †(¿∏2item.evolve_stone8@åH
ä*<» ¿(ÄÒ2item.awaken_crystal8@§?HäF¨ Ä@†úí+
item.evolve_stonename.item.evolve_stoneí/
item.awaken_crystalname.item.awaken_crystalö	
goldÃö	
gold∞	ö
staminaö	
gold¯
ö
item.evolve_stoneö
staminaö
gems2ö	
goldàö	
staminaö

item.evolve_stoneö	
gold¥ö
staminaö	
gold¸ö
gems2ö
item.evolve_stoneö	
gold®ö	
goldåö
staminaö	
gold‘ö
item.evolve_stoneö
gems2ö	
goldÄö	
gold‰ö
staminaö
item.evolve_stoneö	
goldêö
staminaö
gems2¢
mon.slime.water.1¢
mon.slime.fire.1¢
mon.slime.tree.1¢
mon.squir.light.1¢
mon.squir.dark.1¢
mon.jackolittle.fire.2¢
mon.slimeb.water.2™
mon.slime.water.1Ç"front™
mon.slime.fire.1Ç"front™
mon.slime.tree.1Ç"front™
mon.slime.light.1Ç"front™
mon.slime.dark.1Ç"front™
mon.squir.water.1Z"all™
mon.squir.fire.1Z"all™
mon.squir.tree.1Z"all™
mon.squir.light.1Z"all™
mon.squir.dark.1Z"all™$
mon.cocomaru.water.1ñ"weakest™#
mon.cocomaru.fire.1ñ"weakest™#
mon.cocomaru.tree.1ñ"weakest™$
mon.cocomaru.light.1ñ"weakest™#
mon.cocomaru.dark.1ñ"weakest™%
mon.jackolittle.water.2™"front™$
mon.jackolittle.fire.2™"front™$
mon.jackolittle.tree.2™"front™%
mon.jackolittle.light.2™"front™$
mon.jackolittle.dark.2™"front™
mon.slimeb.water.2d"all™
mon.slimeb.fire.2d"all™
mon.slimeb.tree.2d"all™
mon.slimeb.light.2d"all™
mon.slimeb.dark.2d"all™
mon.anu.water.3»"weakest™
mon.anu.fire.3»"weakest™
mon.anu.tree.3»"weakest™
mon.anu.light.3»"weakest™
mon.anu.dark.3»"weakest™
mon.leo.water.3¥"front™
mon.leo.fire.3¥"front™
mon.leo.tree.3¥"front™
mon.leo.light.3¥"front™
mon.leo.dark.3¥"front™
mon.lily.water.3x"all™
mon.lily.fire.3x"all™
mon.lily.tree.3x"all™
mon.lily.light.3x"all™
mon.lily.dark.3x"all™
mon.seiren.water.4å"all™
mon.seiren.fire.4å"all™
mon.seiren.tree.4å"all™
mon.seiren.light.4å"all™
mon.seiren.dark.4å"all™ 
mon.sura.water.4"weakest™
mon.sura.fire.4"weakest™
mon.sura.tree.4"weakest™ 
mon.sura.light.4"weakest™
mon.sura.dark.4"weakest™
mon.miho.water.5†"all™
mon.miho.fire.5†"all™
mon.miho.tree.5†"all™
mon.miho.light.5†"all™
mon.miho.dark.5†"all™$
mon.persephone.water.5ò"front™#
mon.persephone.fire.5ò"front™#
mon.persephone.tree.5ò"front™$
mon.persephone.light.5ò"front™#
mon.persephone.dark.5ò"front