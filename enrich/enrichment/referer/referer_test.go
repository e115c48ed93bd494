package referer

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

func show(medium, source, term string, ok bool) string {
	if !ok {
		return "none"
	}
	n := func(s string) string {
		if s == "" {
			return "null"
		}
		return s
	}
	return fmt.Sprintf("%s/%s/%s", n(medium), n(source), n(term))
}

// TestEffectiveLookupTable: the 0.3.0 YAML loaded with SnakeYAML's rules
// gives exactly the resolved table of the reference notes.
func TestEffectiveLookupTable(t *testing.T) {
	db := referenceDB(t)
	data, err := os.ReadFile(testservers.SharedPath(t, "reference", "referers-0.3.0-effective-lookup.json"))
	if err != nil {
		t.Fatal(err)
	}
	var eff struct {
		Count   int `json:"count"`
		Entries []struct {
			Key, Medium, Source string
			Parameters          []string
		} `json:"entries"`
	}
	if err := json.Unmarshal(data, &eff); err != nil {
		t.Fatal(err)
	}
	if db.Len() != eff.Count || len(eff.Entries) != eff.Count {
		t.Errorf("keys: got %d, want %d (%d entries)", db.Len(), eff.Count, len(eff.Entries))
	}
	for _, e := range eff.Entries {
		r, ok := db.Get(e.Key)
		if !ok {
			t.Errorf("key %q missing", e.Key)
			continue
		}
		if r.Medium != e.Medium || r.Source != e.Source || !slices.Equal(r.Parameters, e.Parameters) {
			t.Errorf("key %q: got %+v, want %s/%s %q", e.Key, r, e.Medium, e.Source, e.Parameters)
		}
	}
	for _, gone := range []string{"search.comcast.net", "getpocket.com"} {
		if _, ok := db.Get(gone); ok {
			t.Errorf("key %q present; the YAML quirks drop it", gone)
		}
	}
}

// TestReferenceExamples: referer-parser.md section 5.
func TestReferenceExamples(t *testing.T) {
	db := referenceDB(t)
	const page = "www.snowplowanalytics.com"
	internal := []string{"www.subdomain1.snowplowanalytics.com"}
	cases := []struct{ ref, page, want string }{
		{"http://www.google.com/search?q=gateway+oracle+cards+denise+linn&hl=en&client=safari", page, "search/Google/gateway oracle cards denise linn"},
		{"http://www.google.com/search", page, "search/Google/null"},
		{"http://webmail1m.orange.fr/webmail/fr_FR/read.html?FOLDER=SF_INBOX&IDMSG=8594&check=&SORTBY=31", page, "email/Orange Webmail/null"},
		{"http://psychicbazaar.tumblr.com/", page, "social/Tumblr/null"},
		{"http://finance.yahoo.com", page, "unknown/Yahoo!/null"},
		{"http://www.behance.net/gallery/Psychic-Bazaar-branding/5291939", page, "unknown/null/null"},
		{"https://www.snowplowanalytics.com/account/profile", page, "internal/null/null"},
		{"http://www.subdomain1.snowplowanalytics.com/account/profile", page, "internal/null/null"},
		{"http://WWW.GOOGLE.COM/search?q=x", page, "unknown/null/null"},
		{"HTTP://www.google.com/search?q=x", page, "none"},
		{"http://my_host.google.com/search?q=x", page, "none"},
		{"http://search.comcast.net/?q=abc", page, "unknown/null/null"},
		{"ftp://www.snowplowanalytics.com/x", page, "none"},
		{"http://www.bing.com/search?Q=x&q=y", page, "search/Bing/x"},
		{"http://www.google.com/search?Q=x&q=y", page, "search/Google/y"},
		{"http://www.google.com/search?q;q=y", page, "search/Google/null"}, // first 'q' has no value
		{"http://www.google.com/search?q=caf%C3%A9", page, "search/Google/café"},
		{"http://www.google.com/search?q=", page, "search/Google/null"},
		{"http://itusozluk.com/x", page, "social/Pocket/null"},
		{"http://news.google.co.uk/x", page, "search/Google News/null"},
		{"http://a.1b/x", page, "none"},
	}
	for _, c := range cases {
		if got := show(db.Lookup(c.ref, c.page, internal)); got != c.want {
			t.Errorf("Lookup(%q, %q) = %s, want %s", c.ref, c.page, got, c.want)
		}
	}
}

// TestConformanceFixtures compares refr_medium/source/term of every
// expected good event with a page_referrer.
func TestConformanceFixtures(t *testing.T) {
	db := referenceDB(t)
	rows, pairs := 0, map[string]bool{}
	for name, fx := range loadFixtures(t) {
		var internal []string
		for _, e := range fx.Enrichments.Data {
			if e.Data.Name == "referer_parser" && e.Data.Enabled {
				var p struct{ InternalDomains []string }
				if err := json.Unmarshal(e.Data.Parameters, &p); err != nil {
					t.Fatalf("%s: referer_parser parameters: %v", name, err)
				}
				internal = p.InternalDomains
			}
		}
		for ri, row := range fx.ExpectedGood {
			if len(row) <= 46 || row[31] == nil {
				continue
			}
			pageHost := ""
			if row[33] != nil {
				pageHost = *row[33]
			}
			medium, source, term, ok := db.Lookup(*row[31], pageHost, internal)
			got := []string{medium, source, term}
			if !ok {
				got = []string{"", "", ""}
			}
			for k := range 3 {
				want := ""
				if row[44+k] != nil {
					want = *row[44+k]
				}
				if got[k] != want {
					t.Errorf("%s row %d field %d: got %q, want %q (referrer %q, page host %q)", name, ri, 44+k, got[k], want, *row[31], pageHost)
				}
			}
			rows++
			pairs[*row[31]+" "+pageHost] = true
		}
	}
	if rows == 0 {
		t.Fatal("no fixture row with a referrer")
	}
	t.Logf("%d rows (%d distinct referrer/page-host pairs), %d fields compared", rows, len(pairs), rows*3)
}

// TestLibraryCases: cases of referer-parser's own referer-tests.json (as at
// java-scala-0.3.0), page host www.snowplowanalytics.com.
func TestLibraryCases(t *testing.T) {
	db := referenceDB(t)
	cases := []struct{ uri, want string }{
		{"http://www.google.fr/imgres?q=Ogham+the+celtic+oracle&hl=fr&safe=off&client=firefox-a&hs=ZDu&sa=X&tbm=isch&prmd=imvnsa&tbnid=HUVaj-o88ZRdYM:&imgrefurl=http://www.psychicbazaar.com/oracles/101-ogham-the-celtic-oracle-set.html&docid=DY5_pPFMliYUQM&w=734&h=250", "search/Google Images/Ogham the celtic oracle"},
		{"http://it.images.search.yahoo.com/images/view;_ylt=A0PDodgQmGBQpn4AWQgdDQx.;_ylu=X3oDMTBlMTQ4cGxyBHNlYwNzcgRzbGsDaW1n?back=http%3A%2F%2Fit.images.search.yahoo.com%2Fsearch%2Fimages%3Fp%3DEarth%2BMagic%2BOracle%2BCards%26fr%3Dmcafee&w=1064&h=1551&name=Earth+Magic+Oracle+Cards+-+Psychic+Bazaar&p=Earth+Magic+Oracle+Cards&oid=f0a5ad5c4211efe1c07515f56cf5a78e&fr2=piv-web&fr=mcafee", "search/Yahoo! Images/Earth Magic Oracle Cards"},
		{"http://isearch.avg.com/pages/images.aspx?q=tarot+card+change&sap=dsp&lang=en&mid=209215200c4147d1a9d6d1565005540b&snd=hdr&tc=test1", "search/Google/tarot card change"},
		{"http://es.search.yahoo.com/search;_ylt=A7x9QbwbZXxQ9EMAPCKT.Qt.?p=BIEDERMEIER+FORTUNE+TELLING+CARDS&ei=utf-8&type=685749&fr=chr-greentree_gc&xargs=0&pstart=1&b=11", "search/Yahoo!/BIEDERMEIER FORTUNE TELLING CARDS"},
		{"http://www.pricerunner.co.uk/search?displayNoHitsMessage=1&q=wild+wisdom+of+the+faery+oracle", "search/PriceRunner/wild wisdom of the faery oracle"},
		{"http://www.bing.com/images/search?q=psychic+oracle+cards&view=detail&id=D268EDDEA8D3BF20AF887E62AF41E8518FE96F08", "search/Bing Images/psychic oracle cards"},
		{"https://s3-us3.ixquick.com/do/search", "search/IXquick/null"},
		{"http://aolsearch.aol.co.uk/aol/search?s_chn=hp&enabled_terms=&s_it=aoluk-homePage50&q=pendulums", "search/AOL/pendulums"},
		{"http://www.aolsearch.com/search?s_pt=hp&s_gl=NL&query=voorbeeld+cv+competenties&invocationType=tb50hpcnnbie7-nl-nl", "search/AOL/voorbeeld cv competenties"},
		{"http://uk.search-results.com/web?qsrc=1&o=1921&l=dis&q=pendulums&dm=ctry&locale=en_GB", "search/Ask/pendulums"},
		{"http://go.mail.ru/search?q=Gothic%20Tarot%20Cards&where=any&num=10&rch=e&sf=20", "search/Mail.ru/Gothic Tarot Cards"},
		{"http://images.yandex.ru/yandsearch?text=Blue%20Angel%20Oracle%20Blue%20Angel%20Oracle&noreask=1&pos=16&rpt=simage&lr=45", "search/Yandex Images/Blue Angel Oracle Blue Angel Oracle"},
		{"http://search.tb.ask.com/search/GGmain.jhtml?&st=hp&p2=%5EZU%5Exdm458%5EYYA%5Eus&n=77fda1bd&tpr=hpsbsug&searchfor=test", "search/Ask Toolbar/test"},
		{"http://search.ke.voila.fr/?module=voila&bhv=web_fr&kw=test", "search/Voila/test"},
		{"http://www.dalesearch.com/?q=+lego.nl+%2Fclub&s=web&as=0&rlz=0&babsrc=HP_ss", "search/Dalesearch/ lego.nl /club"},
		{"http://t.co/chrgFZDb", "social/Twitter/null"},
		{"http://www.facebook.com/l.php?u=http%3A%2F%2Fwww.psychicbazaar.com&h=yAQHZtXxS&s=1", "social/Facebook/null"},
		{"http://www.odnoklassniki.ru/dk?cmd=logExternal&st._aid=Conversations_Openlink", "social/Odnoklassniki/null"},
		{"http://www.tumblr.com/dashboard", "social/Tumblr/null"},
		{"http://36ohk6dgmcd1n-c.c.yom.mail.yahoo.net/om/api/1.0/openmail.app.invoke/36ohk6dgmcd1n/11/1.0.35/us/en-US/view.html/0", "email/Yahoo! Mail/null"},
		{"http://co106w.col106.mail.live.com/default.aspx?rru=inbox", "email/Outlook.com/null"},
	}
	for _, c := range cases {
		if got := show(db.Lookup(c.uri, "www.snowplowanalytics.com", nil)); got != c.want {
			t.Errorf("Lookup(%q) = %s, want %s", c.uri, got, c.want)
		}
	}
}
