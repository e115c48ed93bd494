// A re-statement of R108's GoogleAnalyticsAdapter algorithm in plain Scala
// 2.11 (no scalaz, json4s or httpclient), written for furrow to produce
// golden outputs whose member order comes from Scala's own collections.
// Input (stdin): one case per line, parameters separated by \u0001, name and
// value by \u0002, a value of exactly \u0003 meaning null. Output: one line
// per case: "OK\t<co or ->\t<ue_pr>\t<direct mappings k=v;...sorted>" or
// "ERR\t<message>\u0001<message>...".
// Regenerate: see googleanalytics_test.go (TestGoogleAnalyticsGolden).
import scala.util.control.NonFatal

object GAReplica {
  sealed trait FT
  final case class S(s: String) extends FT
  final case class I(i: Int) extends FT
  final case class D(d: Double) extends FT
  final case class B(b: Boolean) extends FT
  final case class SK(vendor: String, name: String, format: String, version: String) {
    def uri = "iglu:" + vendor + "/" + name + "/" + format + "/" + version
  }
  type Tr = String => Either[String, FT]
  final case class KV(name: String, tr: Tr)
  final case class MP(key: SK, table: Map[String, KV])

  val GaVendor = "com.google.analytics"
  val Vendor = GaVendor + ".measurement-protocol"
  def sk(v: String, n: String) = SK(v, n, "jsonschema", "1-0-0")

  def toJInteger(field: String, str: String): Either[String, java.lang.Integer] =
    if (Option(str).isEmpty) Right(null.asInstanceOf[java.lang.Integer])
    else try { val j: java.lang.Integer = str.toInt; Right(j) } catch {
      case _: NumberFormatException => Left("Field [%s]: cannot convert [%s] to Int".format(field, str))
    }
  def id(f: String) = KV(f, (v: String) => Right(S(v)))
  def int(f: String) = KV(f, (v: String) => toJInteger(f, v).right.map(i => I(i.toInt)))
  def two(f: String) = KV(f, (v: String) => try Right(D(BigDecimal(v).setScale(2, BigDecimal.RoundingMode.HALF_EVEN).toDouble)) catch {
    case _: NumberFormatException => Left("Field [%s]: cannot convert [%s] to Double".format(f, v))
  })
  def dbl(f: String) = KV(f, (v: String) => try Right(D(BigDecimal(v).toDouble)) catch {
    case _: NumberFormatException => Left("Field [%s]: cannot convert [%s] to Double".format(f, v))
  })
  def bool(f: String) = KV(f, (v: String) =>
    if (v == "1") Right(B(true)) else if (v == "0") Right(B(false))
    else Left("Field [%s]: cannot convert [%s] to boolean, only 1 or 0 are supported".format(f, v)))

  val unstructEventData: Map[String, MP] = Map(
    "pageview" -> MP(sk(Vendor, "page_view"), Map("dl" -> id("documentLocationUrl"), "dh" -> id("documentHostName"), "dp" -> id("documentPath"), "dt" -> id("documentTitle"))),
    "screenview" -> MP(sk(Vendor, "screen_view"), Map("cd" -> id("screenName"))),
    "event" -> MP(sk(Vendor, "event"), Map("ec" -> id("category"), "ea" -> id("action"), "el" -> id("label"), "ev" -> int("value"))),
    "transaction" -> MP(sk(Vendor, "transaction"), Map("ti" -> id("id"), "ta" -> id("affiliation"), "tr" -> two("revenue"), "ts" -> two("shipping"), "tt" -> two("tax"), "tcc" -> id("couponCode"), "cu" -> id("currencyCode"))),
    "item" -> MP(sk(Vendor, "item"), Map("ti" -> id("transactionId"), "in" -> id("name"), "ip" -> two("price"), "iq" -> int("quantity"), "ic" -> id("code"), "iv" -> id("category"), "cu" -> id("currencyCode"))),
    "social" -> MP(sk(Vendor, "social"), Map("sn" -> id("network"), "sa" -> id("action"), "st" -> id("actionTarget"))),
    "exception" -> MP(sk(Vendor, "exception"), Map("exd" -> id("description"), "exf" -> bool("isFatal"))),
    "timing" -> MP(sk(Vendor, "timing"), Map("utc" -> id("userTimingCategory"), "utv" -> id("userTimingVariableName"), "utt" -> int("userTimingTime"), "utl" -> id("userTimingLabel"), "plt" -> int("pageLoadTime"), "dns" -> int("dnsTime"), "pdt" -> int("pageDownloadTime"), "rrt" -> int("redirectResponseTime"), "tcp" -> int("tcpConnectTime"), "srt" -> int("serverResponseTime"), "dit" -> int("domInteractiveTime"), "clt" -> int("contentLoadTime")))
  )
  val contextData: Map[SK, Map[String, KV]] = (unstructEventData("pageview") :: List(
    MP(sk(GaVendor, "undocumented"), List("a", "jid", "gjid").map(e => e -> id(e)).toMap),
    MP(sk(GaVendor, "private"), (List("_v", "_u", "_gid").map(e => e -> id(e.tail)) ++ List("_s", "_r").map(e => e -> int(e.tail))).toMap),
    MP(sk(Vendor, "general"), Map("v" -> id("protocolVersion"), "tid" -> id("trackingId"), "aip" -> bool("anonymizeIp"), "ds" -> id("dataSource"), "qt" -> int("queueTime"), "z" -> id("cacheBuster"))),
    MP(sk(Vendor, "user"), Map("cid" -> id("clientId"), "uid" -> id("userId"))),
    MP(sk(Vendor, "session"), Map("sc" -> id("sessionControl"), "uip" -> id("ipOverride"), "ua" -> id("userAgentOverride"), "geoid" -> id("geographicalOverride"))),
    MP(sk(Vendor, "traffic_source"), Map("dr" -> id("documentReferrer"), "cn" -> id("campaignName"), "cs" -> id("campaignSource"), "cm" -> id("campaignMedium"), "ck" -> id("campaignKeyword"), "cc" -> id("campaignContent"), "ci" -> id("campaignId"), "gclid" -> id("googleAdwordsId"), "dclid" -> id("googleDisplayAdsId"))),
    MP(sk(Vendor, "system_info"), Map("sr" -> id("screenResolution"), "vp" -> id("viewportSize"), "de" -> id("documentEncoding"), "sd" -> id("screenColors"), "ul" -> id("userLanguage"), "je" -> bool("javaEnabled"), "fl" -> id("flashVersion"))),
    MP(sk(Vendor, "link"), Map("linkid" -> id("id"))),
    MP(sk(Vendor, "app"), Map("an" -> id("name"), "aid" -> id("id"), "av" -> id("version"), "aiid" -> id("installerId"))),
    MP(sk(Vendor, "product_action"), Map("pa" -> id("productAction"), "pal" -> id("productActionList"), "cos" -> int("checkoutStep"), "col" -> id("checkoutStepOption"))),
    MP(sk(Vendor, "content_experiment"), Map("xid" -> id("id"), "xvar" -> id("variant"))),
    MP(sk(Vendor, "hit"), Map("t" -> id("type"), "ni" -> bool("nonInteractionHit"))),
    MP(sk(Vendor, "promotion_action"), Map("promoa" -> id("promotionAction")))
  )).map(d => d.key -> d.table).toMap
  val fieldToSchemaMap: Map[String, SK] = contextData.flatMap { case (s, t) => t.keys.map(_ -> s) }
  val IF = "IF"
  val compositeContextData: List[MP] = List(
    MP(sk(Vendor, "product"), Map(IF + "pr" -> int("index"), "prid" -> id("sku"), "prnm" -> id("name"), "prbr" -> id("brand"), "prca" -> id("category"), "prva" -> id("variant"), "prpr" -> two("price"), "prqt" -> int("quantity"), "prcc" -> id("couponCode"), "prps" -> int("position"), "cu" -> id("currencyCode"))),
    MP(sk(Vendor, "product_custom_dimension"), Map(IF + "prcd" -> int("productIndex"), IF + "cd" -> int("dimensionIndex"), "prcd" -> id("value"))),
    MP(sk(Vendor, "product_custom_metric"), Map(IF + "prcm" -> int("productIndex"), IF + "cm" -> int("metricIndex"), "prcm" -> int("value"))),
    MP(sk(Vendor, "product_impression_list"), Map(IF + "il" -> int("index"), "ilnm" -> id("name"))),
    MP(sk(Vendor, "product_impression"), Map(IF + "ilpi" -> int("listIndex"), IF + "pi" -> int("productIndex"), "ilpiid" -> id("sku"), "ilpinm" -> id("name"), "ilpibr" -> id("brand"), "ilpica" -> id("category"), "ilpiva" -> id("variant"), "ilpips" -> int("position"), "ilpipr" -> two("price"), "cu" -> id("currencyCode"))),
    MP(sk(Vendor, "product_impression_custom_dimension"), Map(IF + "ilpicd" -> int("listIndex"), IF + "picd" -> int("productIndex"), IF + "cd" -> int("customDimensionIndex"), "ilpicd" -> id("value"))),
    MP(sk(Vendor, "product_impression_custom_metric"), Map(IF + "ilpicm" -> int("listIndex"), IF + "picm" -> int("productIndex"), IF + "cm" -> int("customMetricIndex"), "ilpicm" -> int("value"))),
    MP(sk(Vendor, "promotion"), Map(IF + "promo" -> int("index"), "promoid" -> id("id"), "promonm" -> id("name"), "promocr" -> id("creative"), "promops" -> id("position"))),
    MP(sk(Vendor, "custom_dimension"), Map(IF + "cd" -> int("index"), "cd" -> id("value"))),
    MP(sk(Vendor, "custom_metric"), Map(IF + "cm" -> int("index"), "cm" -> dbl("value"))),
    MP(sk(Vendor, "content_group"), Map(IF + "cg" -> int("index"), "cg" -> id("value")))
  )
  val withCU: List[SK] = compositeContextData.filter(_.table.contains("cu")).map(_.key)
  val nrIF: Map[SK, Int] = compositeContextData.map(d => d.key -> d.table.count(_._1.startsWith(IF))).toMap

  def directMappings(hitType: String): Map[String, String] = Map(
    "uip" -> "ip", "dr" -> "refr", "de" -> "cs", "sd" -> "cd", "ul" -> "lang", "je" -> "f_java", "dl" -> "url", "dt" -> "page",
    "ti" -> (if (hitType == "transaction") "tr_id" else "ti_id"), "ta" -> "tr_af", "tr" -> "tr_tt", "ts" -> "tr_sh", "tt" -> "tr_tx",
    "in" -> "ti_nm", "ip" -> "ti_pr", "iq" -> "ti_qu", "ic" -> "ti_sk", "iv" -> "ti_ca",
    "cu" -> (if (hitType == "transaction") "tr_cu" else "ti_cu"), "ua" -> "ua")

  // scalaz's traverse of a Map: via toList, rebuilt with toMap; a Validation
  // accumulates failures in order, a disjunction keeps the first.
  def seqAcc[K, V](m: Map[K, Either[List[String], V]]): Either[List[String], Map[K, V]] = {
    val l = m.toList
    val errs = l.collect { case (_, Left(e)) => e }.flatten
    if (errs.nonEmpty) Left(errs) else Right(l.map { case (k, Right(v)) => k -> v; case _ => sys.error("x") }.toMap)
  }
  def seqFirst[K, V](m: Map[K, Either[String, V]]): Either[String, Map[K, V]] = {
    val l = m.toList
    l.collectFirst { case (_, Left(e)) => e } match {
      case Some(e) => Left(e)
      case None => Right(l.map { case (k, Right(v)) => k -> v; case _ => sys.error("x") }.toMap)
    }
  }

  def translate(params: Map[String, String], table: Map[String, KV]): Either[List[String], Map[String, FT]] =
    seqAcc(params.foldLeft(Map.empty[String, Either[List[String], FT]]) { case (m, (f, v)) =>
      table.get(f).map { case KV(n, tr) => m + (n -> tr(v).left.map(List(_))) }.getOrElse(m)
    })

  def buildContexts(params: Map[String, String]): Either[List[String], Map[SK, Map[String, FT]]] = {
    val m = params.foldLeft(Map.empty[SK, Map[String, Either[List[String], FT]]]) { case (m, (f, v)) =>
      fieldToSchemaMap.get(f).map { s =>
        val KV(n, tr) = contextData(s)(f)
        m + (s -> (m.getOrElse(s, Map.empty) + (n -> tr(v).left.map(List(_)))))
      }.getOrElse(m)
    }
    seqAcc(m.map { case (k, v) => k -> seqAcc(v) })
  }

  val regex = ("(" + List("pr", "promo", "il", "cd", "cm", "cg").mkString("|") + ")" + """(\d+)([a-zA-Z]*)(\d*)([a-zA-Z]*)(\d*)$""").r
  def splitEvenOdd[T](l: List[T]): (List[T], List[T]) = (l.zipWithIndex.filter(_._2 % 2 == 0).map(_._1), l.zipWithIndex.filter(_._2 % 2 == 1).map(_._1))
  def breakDown(f: String): Either[String, (List[String], List[String])] = f match {
    case regex(grps @ _*) => Right(splitEvenOdd(grps.toList.filter(_.nonEmpty)))
    case s if s.isEmpty => Left("Cannot parse empty composite field name")
    case _ => Left(s"Cannot parse field name $f, it doesn't conform to the expected composite field regex: $regex")
  }
  def breakDown(f: String, v: String): Either[String, Map[String, String]] = breakDown(f).right.flatMap { case (strs, ints) =>
    val m = if (strs.length == ints.length) (strs.scanRight("")(_ + _).init.map(IF + _) zip ints).toMap
      else (strs.init.scanRight("")(_ + _).init.map(IF + _) zip ints).toMap
    Right(m + (strs.reduce(_ + _) -> v))
  }
  def removeConsecutiveDuplicates[T](l: List[T]): List[T] = l.foldLeft(List.empty[T]) {
    case (h :: t, e) if e != h => e :: h :: t
    case (Nil, e) => e :: Nil
    case (l, _) => l
  }.reverse
  def transpose[T](l: List[List[T]]): List[List[T]] = l.flatMap(_.headOption) match {
    case Nil => Nil
    case head => head :: transpose(l.collect { case _ :: tail => tail })
  }

  def buildComposite(params: Map[String, String]): Either[String, List[(SK, Map[String, FT])]] = {
    val composite = params.filterKeys(k => k.exists(_.isDigit))
    val broken = composite.toList.sorted.map { case (k, v) => breakDown(k, v) }
    broken.collectFirst { case Left(e) => e } match {
      case Some(e) => Left(e)
      case None =>
        val brokenDown = broken.collect { case Right(m) => m }
        val partitioned = brokenDown.map(_.partition(_._1.startsWith(IF))).unzip
        val grouped = (partitioned._2 ++ removeConsecutiveDuplicates(partitioned._1)).flatten.groupBy(_._1).mapValues(_.map(_._2))
        val folded = grouped.foldLeft(Map.empty[SK, Map[String, Either[String, Seq[FT]]]]) { case (m, (f, values)) =>
          val additions = compositeContextData.filter(_.table.contains(f)).map { d =>
            val KV(n, tr) = d.table(f)
            val results = values.map(v => tr(v))
            val seq: Either[String, Seq[FT]] = results.collectFirst { case Left(e) => e } match {
              case Some(e) => Left(e)
              case None => Right(results.collect { case Right(x) => x })
            }
            d.key -> (m.getOrElse(d.key, Map.empty) + (n -> seq))
          }.toMap
          m ++ additions
        }
        seqFirst(folded.map { case (k, v) => k -> seqFirst(v) }).right.map { translated =>
          val transposed = translated.map { case (k, m) =>
            val values = transpose(m.values.map(_.toList).toList)
            k -> (params.get("cu") match {
              case Some(c) if withCU.contains(k) => values.map(m.keys zip _).map(l => (("currencyCode" -> (S(c): FT)) :: l.toList).toMap)
              case _ => values.map(m.keys zip _).map(_.toMap)
            })
          }
          val filtered = transposed.map { case (k, vs) =>
            val min = nrIF(k)
            k -> vs.filter(fs => fs.size > min + fs.get("currencyCode").map(_ => 1).getOrElse(0))
          }.filter(_._2.nonEmpty)
          filtered.toList.flatMap { case (k, vs) => vs.map(k -> _) }
        }
    }
  }

  def q(s: String): String = if (s == null) "null" else {
    val b = new StringBuilder("\"")
    s.foreach {
      case '"' => b ++= "\\\""
      case '\\' => b ++= "\\\\"
      case c if c < ' ' => b ++= "\\u%04X".format(c.toInt)
      case c => b += c
    }
    b ++= "\""
    b.toString
  }
  def num(d: Double): String = if (d.isNaN || d.isInfinite) q(d.toString) else d.toString
  def render(m: Map[String, FT]): String = m.toList.map { case (k, v) => q(k) + ":" + (v match {
    case S(s) => q(s); case I(i) => i.toString; case D(d) => num(d); case B(b) => b.toString
  }) }.mkString("{", ",", "}")
  def sd(uri: String, data: String) = "{\"schema\":" + q(uri) + ",\"data\":" + data + "}"

  def parse(params: Map[String, String]): Either[List[String], (String, String, Map[String, String])] = params.get("t") match {
    case None => Left(List("No GoogleAnalytics t parameter provided: cannot determine hit type"))
    case Some(hitType) =>
      val mappings = params.foldLeft(Map.empty[String, String]) { case (m, (f, v)) => directMappings(hitType).get(f).map(n => m + (n -> v)).getOrElse(m) }
      val table = unstructEventData.get(hitType).map(_.table).toRight(List(s"No matching GoogleAnalytics hit type for hit type $hitType"))
      val schemaMap = unstructEventData.mapValues(_.key.uri)
      val schema: Either[List[String], String] =
        if (schemaMap.contains(hitType)) Right(schemaMap(hitType))
        else if (hitType == "") Left(List("GoogleAnalytics event failed: type parameter is empty - cannot determine event type"))
        else Left(List(s"GoogleAnalytics event failed: type parameter [$hitType] not recognized"))
      val simple = buildContexts(params)
      val comp = buildComposite(params).left.map(List(_))
      val errs = List(table, schema, simple, comp).collect { case Left(e) => e }.flatten
      if (errs.nonEmpty) Left(errs) else {
        val contexts = (simple.right.get.toList ++ comp.right.get).collect {
          case (s, d) if hitType != "pageview" || s != unstructEventData("pageview").key => sd(s.uri, render(d))
        }
        val co = if (contexts.isEmpty) "-" else sd("iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1", contexts.mkString("[", ",", "]"))
        translate(params, table.right.get).right.map { e =>
          (co, sd("iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", sd(schema.right.get, render(e))), mappings)
        }
      }
  }

  def main(args: Array[String]): Unit = {
    for (line <- scala.io.Source.stdin.getLines) {
      val params = (if (line.isEmpty) Nil else line.split("\u0001", -1).toList).map { kv =>
        val Array(k, v) = kv.split("\u0002", -1)
        k -> (if (v == "\u0003") null else v)
      }.toMap
      val out = try parse(params) match {
        case Left(errs) => "ERR\t" + errs.mkString("\u0001")
        case Right((co, ue, m)) => "OK\t" + co + "\t" + ue + "\t" + m.toList.sorted.map { case (k, v) => k + "=" + Option(v).getOrElse("") }.mkString(";")
      } catch {
        case NonFatal(e) => "ERR\tUnexpected error processing events: " + e.getClass.getName
      }
      println(out)
    }
  }
}
