"""Thai and Vietnamese texts of the fictional demo content.

One dict per language, keyed like the English content it translates (a slug, or the English
title of a need), so a reviewer can read demo/content/{site,needs,stories,giving}.py and this
file side by side. Written for donors, not word for word. Pseudonyms stay as they are (they
are names); amounts are never in the texts. Every story still says it is fictional, and so
does every page around it. demo/content/i18n.py applies these.

Shape of each language's dict:

* ``home`` and ``story_index``: ``title`` and ``intro`` (HTML, as in English);
* ``causes``: slug -> (name, description); ``regions``: slug -> name;
* ``needs``: English title -> (title, summary);
* ``units``: English title of a need with an impact unit -> (unit name, plural): what the donate
  form counts ("pays for 3 ..."); Thai and Vietnamese nouns do not inflect, so both are the same;
* ``story``: what every story shares (the fictional label, the teaser's label, the content
  warning, the illustration's alternative text, the donate block's heading);
* ``stories``: slug -> ``title``, ``teaser``, ``paragraphs`` (in the English order) and
  ``quote``;
* ``donate_pages``: slug -> ``title``, ``intro`` (plain text) and ``heading`` (of its block).
"""

from __future__ import annotations

TH = {
    "home": {
        "title": "ตัวอย่างเว็บไซต์ Six Degrees",
        "intro": (
            "<p>เว็บไซต์นี้สาธิตการทำงานของ <b>wagtail-sixdegrees</b>: "
            "เล่าเรื่องราวของผู้รอดชีวิตอย่างปลอดภัย ให้ผู้บริจาคเลือกได้ว่าอยากให้เงินไปช่วยด้านใด "
            "และนำเงินบริจาคทุกรายการไปใช้ตรงตามที่ผู้บริจาคขอไว้</p>"
            "<p><b>ทุกอย่างในเว็บไซต์นี้เป็นเรื่องสมมติ</b> ไม่มีเรื่องราว ชื่อ องค์กรพันธมิตร "
            "หรือโครงการใดในที่นี้ที่เป็นของบุคคลหรือองค์กรที่มีอยู่จริง</p>"
        ),
    },
    "story_index": {
        "title": "เรื่องราวของผู้รอดชีวิต",
        "intro": (
            "<p>เรื่องราวที่ผู้รอดชีวิตเลือกแบ่งปัน เล่าภายใต้นามแฝง "
            "และเปลี่ยนรายละเอียดบางอย่างเพื่อความปลอดภัยของพวกเขา "
            "<b>ทุกเรื่องในเว็บไซต์สาธิตนี้เป็นเรื่องสมมติ</b></p>"
        ),
    },
    "causes": {
        "shelter": ("ที่พักพิง", "ที่นอนที่ปลอดภัย อาหาร และใครสักคนที่พร้อมรับฟัง"),
        "medical-care": (
            "การรักษาพยาบาล",
            "การรักษาและการให้คำปรึกษาหลังจากถูกแสวงประโยชน์",
        ),
        "legal-aid": (
            "ความช่วยเหลือทางกฎหมาย",
            "ทนายความและล่ามที่อยู่เคียงข้างผู้รอดชีวิตในการเรียกร้องความยุติธรรม",
        ),
        "education": ("การศึกษา", "ค่าเล่าเรียน หนังสือ และชั้นเรียนเสริมให้เรียนตามเพื่อนทัน"),
        "livelihood": ("อาชีพและรายได้", "การฝึกอาชีพและเครื่องมือทำกิน เพื่อรายได้ก้อนแรก"),
        "safe-return": (
            "การกลับบ้านอย่างปลอดภัย",
            "การเดินทางกลับบ้าน มีคนร่วมทางและมีแผนรองรับ",
        ),
    },
    "regions": {
        "chiang-rai": "จังหวัดเชียงราย",
        "an-giang": "จังหวัดอานซาง",
        "battambang": "จังหวัดพระตะบอง",
        "mekong-border": "พื้นที่ชายแดนลุ่มแม่น้ำโขง",
    },
    "units": {
        "Six months of safe shelter": ("คืนในที่พักพิงปลอดภัย", "คืนในที่พักพิงปลอดภัย"),
        "Trauma counselling sessions": ("ครั้งการให้คำปรึกษา", "ครั้งการให้คำปรึกษา"),
    },
    "needs": {
        "Six months of safe shelter": (
            "ที่พักพิงปลอดภัยนานหกเดือน",
            "ตัวอย่างสมมติ: ที่พักพิงปลอดภัยนานหกเดือน สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
        "Trauma counselling sessions": (
            "การให้คำปรึกษาเพื่อเยียวยาบาดแผลทางใจ",
            "ตัวอย่างสมมติ: การพบนักให้คำปรึกษาเพื่อเยียวยาบาดแผลทางใจ สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
        "Legal representation in labour cases": (
            "ทนายความว่าความในคดีแรงงาน",
            "ตัวอย่างสมมติ: ทนายความที่ว่าความให้ในคดีแรงงาน สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
        "School fees and uniforms for returning teenagers": (
            "ค่าเล่าเรียนและชุดนักเรียนสำหรับวัยรุ่นที่กลับมาเรียน",
            "ตัวอย่างสมมติ: ค่าเล่าเรียนและชุดนักเรียนสำหรับวัยรุ่นที่ได้กลับบ้านและกลับมาเรียนต่อ "
            "ซึ่งองค์กรพันธมิตรของเราดูแลอยู่",
        ),
        "Sewing cooperative start-up kits": (
            "ชุดอุปกรณ์เริ่มต้นสำหรับสหกรณ์ตัดเย็บ",
            "ตัวอย่างสมมติ: ชุดอุปกรณ์เริ่มต้นสำหรับสหกรณ์ตัดเย็บของผู้รอดชีวิต ที่องค์กรพันธมิตรของเราดูแล",
        ),
        "Bus fares and escorts for the journey home": (
            "ค่ารถและผู้ดูแลร่วมทางกลับบ้าน",
            "ตัวอย่างสมมติ: ค่ารถโดยสารและผู้ดูแลที่ร่วมเดินทางกลับบ้าน สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
        "Emergency medical care after rescue": (
            "การรักษาพยาบาลฉุกเฉินหลังได้รับการช่วยเหลือ",
            "ตัวอย่างสมมติ: การรักษาพยาบาลฉุกเฉินทันทีหลังได้รับการช่วยเหลือ สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
        "Vocational training in hospitality": (
            "ฝึกอาชีพด้านโรงแรมและงานบริการ",
            "ตัวอย่างสมมติ: การฝึกอาชีพด้านโรงแรมและงานบริการ สำหรับผู้รอดชีวิตที่องค์กรพันธมิตรของเราดูแล",
        ),
    },
    "story": {
        "fictional": "เรื่องสมมติเพื่อการสาธิต: บุคคลในเรื่องนี้ไม่มีตัวตนจริง",
        "teaser_label": "(เรื่องสมมติ)",
        "content_warning": "เรื่องสมมตินี้กล่าวถึงการแสวงประโยชน์และการบังคับใช้แรงงาน",
        "hero_alt_text": "ภาพวาดนามธรรมของทิวเขาใต้แสงอาทิตย์ยามเย็น",
        "donate_heading": "ร่วมสนับสนุนงานเบื้องหลังเรื่องราวนี้",
    },
    "stories": {
        "lans-story": {
            "title": "เรื่องของ Lan: ที่นอนที่ปลอดภัย แล้วจึงเป็นแผนชีวิต",
            "teaser": ("หลังจากออกจากงานที่ไม่เป็นอย่างที่ถูกสัญญาไว้ Lan ได้พบที่นอนที่ปลอดภัย และผู้คนที่พร้อมรับฟังเธอ"),
            "paragraphs": [
                "Lan สมัครงานตามประกาศรับพนักงานร้านอาหาร แต่งานที่เธอต้องทำกลับไม่ใช่อย่างที่บอกไว้ "
                "และค่าจ้างก็ไม่เคยมาถึงมือเธอเลย",
                "เมื่อเธอออกมาได้ บ้านพักขององค์กรพันธมิตรให้ที่นอน อาหาร และเวลาได้พัก "
                "นักให้คำปรึกษาช่วยให้เธอกลับมานอนหลับได้อีกครั้ง ก่อนที่จะมีใครชวนเธอคิดเรื่องอนาคต",
                "ทุกวันนี้ Lan กำลังเรียนทำบัญชี และบอกว่าสิ่งแรกที่เธออยากทำ คือการได้เป็นประโยชน์กับคนอื่นบ้าง",
            ],
            "quote": "คืนแรกที่ฉันหลับได้โดยไม่ต้องคอยฟังเสียงประตู ฉันรู้เลยว่าฉันเริ่มต้นใหม่ได้",
        },
        "minhs-story": {
            "title": "เรื่องของ Minh: ทนายความที่พูดภาษาเดียวกับเขา",
            "teaser": (
                "Minh ทำงานบนเรือประมงนานสองปีโดยไม่ได้ค่าจ้าง "
                "ความช่วยเหลือทางกฎหมายช่วยให้เขาได้เรียกร้องเงินที่ควรได้คืนมา"
            ),
            "paragraphs": [
                "มีคนบอก Minh ว่างานนี้ใช้เวลาแค่หกเดือน แต่สุดท้ายเขาต้องอยู่กลางทะเลไกลจากฝั่ง"
                "นานถึงสองปี และเอกสารประจำตัวของเขาก็ถูกยึดไว้",
                "เมื่อกลับขึ้นฝั่ง ทนายความจากหน่วยช่วยเหลือทางกฎหมายและล่ามนั่งอยู่ข้างเขาทุกครั้งที่ต้องขึ้นศาล "
                "เขาจึงไม่ต้องเล่าเรื่องของตัวเองให้คนแปลกหน้าฟังตามลำพังอีกเลย",
            ],
            "quote": "พวกเขาอธิบายเอกสารทุกแผ่นก่อนให้ผมเซ็น ไม่เคยมีใครทำแบบนี้ให้ผมมาก่อน",
        },
        "sreys-story": {
            "title": "เรื่องของ Srey: ได้กลับไปโรงเรียนอีกครั้ง",
            "teaser": ("Srey ขาดเรียนไปสามปี ชั้นเรียนเสริมและชุดนักเรียนหนึ่งชุดพาเธอกลับเข้าห้องเรียนได้อีกครั้ง"),
            "paragraphs": [
                "Srey อายุสิบสี่ปีตอนที่ถูกพาข้ามชายแดนไปทำงาน เมื่อได้กลับบ้าน เธอเรียนตามหลังเพื่อน ๆ ไปแล้วถึงสามปี",
                "ชั้นเรียนเสริม หนังสือ และชุดนักเรียน ทำให้เธอได้กลับไปนั่งเรียนกับเพื่อนวัยเดียวกันอีกครั้ง "
                "วิชาที่เธอชอบที่สุดคือคณิตศาสตร์",
            ],
            "quote": "หนูอยากเป็นครู เด็กผู้หญิงคนต่อไปจะได้มีใครสักคนให้ถาม",
        },
        "hnins-story": {
            "title": "เรื่องของ Hnin: การเดินทางกลับบ้าน",
            "teaser": (
                "Hnin อยากกลับบ้าน แต่ไม่อยากเดินทางคนเดียว คนร่วมทางและแผนที่เตรียมไว้ทำให้การเดินทางครั้งนี้ปลอดภัย"
            ),
            "paragraphs": [
                "หลังจากออกมาจากโรงงานที่เธอถูกขังไว้ทุกคืน Hnin ต้องการเพียงสิ่งเดียว คือได้เจอหน้าแม่",
                "การเดินทางครั้งนั้นต้องข้ามพรมแดนถึงสองแห่ง เจ้าหน้าที่ที่ดูแลเธอเดินทางไปด้วยตลอดทาง "
                "และองค์กรพันธมิตรมารอรับเธออีกฝั่ง พร้อมแผนสำหรับช่วงเดือนแรก ๆ หลังกลับถึงบ้าน",
            ],
            "quote": "ฉันกลัวการเดินทางมาก แต่การที่ไม่ต้องเดินทางคนเดียวทำให้ทุกอย่างเปลี่ยนไป",
        },
        "daos-story": {
            "title": "เรื่องของ Dao: จักรเย็บผ้าที่เป็นของตัวเอง",
            "teaser": "วันนี้ Dao เปิดร้านตัดเย็บเล็ก ๆ ร่วมกับผู้หญิงอีกสองคนจากสหกรณ์",
            "paragraphs": [
                "Dao หัดเย็บผ้าในโรงงานที่เธอออกไปไหนไม่ได้ เมื่อได้อิสรภาพคืนมา "
                "การเย็บผ้าจึงเป็นสิ่งเดียวที่เธอไม่อยากแตะอีกเลย",
                "หนึ่งปีต่อมาเธอเปลี่ยนใจ ในแบบที่เธอกำหนดเอง ด้วยชุดอุปกรณ์เริ่มต้นจากสหกรณ์ "
                "วันนี้เธอเลือกงาน เวลาทำงาน และลูกค้าได้ด้วยตัวเอง",
            ],
            "quote": "จักรเย็บผ้ายังเป็นคันเดิม สิ่งที่เปลี่ยนไปคือประตูบานนั้นเป็นของฉันแล้ว",
        },
    },
    "totals_page": {
        "title": "เงินบริจาคไปที่ไหน",
        "intro": (
            "<p>ตัวเลขทุกตัวในหน้านี้มาจากสมุดบัญชีของเราโดยตรง: เงินที่ได้รับบริจาค "
            "เงินอยู่ที่ใดในตอนนี้ และเงินที่เบิกจ่ายให้องค์กรพันธมิตรแล้ว "
            "ทุกอย่างในหน้านี้เป็นเรื่องสมมติ</p>"
        ),
    },
    "donate_pages": {
        "give-to-shelter": {
            "title": "บริจาคเพื่อที่พักพิงที่ปลอดภัย",
            "intro": "สนับสนุนโครงการสมมติหนึ่งโครงการโดยตรง ทุกอย่างในหน้านี้เป็นเรื่องสมมติ",
            "heading": "บริจาคให้โครงการนี้",
        },
        "give": {
            "title": "บริจาคในแบบของคุณ",
            "intro": (
                "เลือกได้สูงสุดสามที่ที่คุณอยากให้เงินบริจาคไปถึง และกำหนดเองว่าจะแบ่งให้แต่ละที่เท่าไร "
                "ทุกอย่างในหน้านี้เป็นเรื่องสมมติ"
            ),
            "heading": "แบ่งเงินบริจาคของคุณ",
        },
    },
}

VI = {
    "home": {
        "title": "Trang ví dụ Six Degrees",
        "intro": (
            "<p>Đây là trang trình diễn <b>wagtail-sixdegrees</b>: kể câu chuyện của những người "
            "sống sót một cách an toàn, để người ủng hộ chọn nơi gửi gắm món quà của mình, và "
            "phân bổ từng khoản đóng góp đúng như mong muốn của người cho.</p>"
            "<p><b>Mọi nội dung trên trang này đều là hư cấu.</b> Không câu chuyện, tên gọi, đối "
            "tác hay nhu cầu nào ở đây nói về một người hay một tổ chức có thật.</p>"
        ),
    },
    "story_index": {
        "title": "Câu chuyện của những người sống sót",
        "intro": (
            "<p>Những câu chuyện do người sống sót chia sẻ, được kể dưới bí danh và đã thay đổi "
            "một số chi tiết để giữ an toàn cho họ. <b>Mọi câu chuyện trên trang trình diễn này "
            "đều là hư cấu.</b></p>"
        ),
    },
    "causes": {
        "shelter": ("Nơi trú ẩn", "Một chỗ ngủ an toàn, bữa ăn và một người để trò chuyện."),
        "medical-care": ("Chăm sóc y tế", "Điều trị và tư vấn tâm lý sau khi bị bóc lột."),
        "legal-aid": (
            "Trợ giúp pháp lý",
            "Luật sư và phiên dịch viên đồng hành cùng người sống sót trên hành trình tìm công lý.",
        ),
        "education": ("Giáo dục", "Học phí, sách vở và các lớp học bù."),
        "livelihood": ("Sinh kế", "Học nghề và dụng cụ để có khoản thu nhập đầu tiên."),
        "safe-return": (
            "Trở về an toàn",
            "Hành trình về nhà, có người đi cùng và một kế hoạch rõ ràng.",
        ),
    },
    "regions": {
        "chiang-rai": "Tỉnh Chiang Rai",
        "an-giang": "Tỉnh An Giang",
        "battambang": "Tỉnh Battambang",
        "mekong-border": "Vùng biên giới sông Mê Kông",
    },
    "units": {
        "Six months of safe shelter": ("đêm ở nơi trú ẩn an toàn", "đêm ở nơi trú ẩn an toàn"),
        "Trauma counselling sessions": ("buổi tư vấn", "buổi tư vấn"),
    },
    "needs": {
        "Six months of safe shelter": (
            "Sáu tháng ở nơi trú ẩn an toàn",
            "Ví dụ hư cấu: sáu tháng ở nơi trú ẩn an toàn cho những người sống sót được đối tác "
            "của chúng tôi hỗ trợ.",
        ),
        "Trauma counselling sessions": (
            "Các buổi tư vấn chữa lành sang chấn",
            "Ví dụ hư cấu: các buổi tư vấn giúp chữa lành sang chấn tâm lý cho những người sống "
            "sót được đối tác của chúng tôi hỗ trợ.",
        ),
        "Legal representation in labour cases": (
            "Luật sư đại diện trong các vụ việc lao động",
            "Ví dụ hư cấu: luật sư đại diện trong các vụ việc lao động cho những người sống sót "
            "được đối tác của chúng tôi hỗ trợ.",
        ),
        "School fees and uniforms for returning teenagers": (
            "Học phí và đồng phục cho các em trở lại trường",
            "Ví dụ hư cấu: học phí và đồng phục cho các em tuổi thiếu niên trở về nhà và đi học "
            "lại, được đối tác của chúng tôi hỗ trợ.",
        ),
        "Sewing cooperative start-up kits": (
            "Bộ dụng cụ khởi nghiệp cho hợp tác xã may",
            "Ví dụ hư cấu: bộ dụng cụ khởi nghiệp cho hợp tác xã may của những người sống sót "
            "được đối tác của chúng tôi hỗ trợ.",
        ),
        "Bus fares and escorts for the journey home": (
            "Vé xe và người đi cùng trên đường về nhà",
            "Ví dụ hư cấu: vé xe buýt và người đi cùng trên đường về nhà cho những người sống sót "
            "được đối tác của chúng tôi hỗ trợ.",
        ),
        "Emergency medical care after rescue": (
            "Chăm sóc y tế khẩn cấp sau khi được giải cứu",
            "Ví dụ hư cấu: chăm sóc y tế khẩn cấp ngay sau khi được giải cứu cho những người "
            "sống sót được đối tác của chúng tôi hỗ trợ.",
        ),
        "Vocational training in hospitality": (
            "Học nghề nhà hàng – khách sạn",
            "Ví dụ hư cấu: các khóa học nghề nhà hàng – khách sạn cho những người sống sót được "
            "đối tác của chúng tôi hỗ trợ.",
        ),
    },
    "story": {
        "fictional": "Câu chuyện hư cấu dùng để trình diễn: nhân vật này không có thật.",
        "teaser_label": "(Hư cấu.)",
        "content_warning": "Câu chuyện hư cấu này có nhắc đến bóc lột và lao động cưỡng bức.",
        "hero_alt_text": "Bức vẽ trừu tượng những ngọn đồi dưới ánh nắng chiều.",
        "donate_heading": "Chung tay cho những việc làm phía sau câu chuyện này",
    },
    "stories": {
        "lans-story": {
            "title": "Câu chuyện của Lan: một chỗ ngủ, rồi một kế hoạch",
            "teaser": (
                "Sau khi rời bỏ một công việc không giống như lời hứa, Lan đã tìm được một chỗ "
                "ngủ an toàn và những người sẵn lòng lắng nghe."
            ),
            "paragraphs": [
                "Lan ứng tuyển theo một mẩu tin tuyển người làm ở nhà hàng. Công việc hóa ra lại "
                "là chuyện khác, và tiền công thì chẳng bao giờ đến.",
                "Khi cô thoát ra được, một nhà tạm lánh đối tác đã cho cô chỗ ngủ, bữa ăn và thời "
                "gian. Các chuyên viên tư vấn giúp cô ngủ lại được, trước khi có ai hỏi cô về dự "
                "định sắp tới.",
                "Giờ đây Lan đang học kế toán, và cô nói điều đầu tiên cô mong muốn là được giúp "
                "ích cho một ai đó.",
            ],
            "quote": (
                "Đêm đầu tiên tôi ngủ mà không phải dỏng tai nghe tiếng cửa, tôi biết mình có thể "
                "bắt đầu lại."
            ),
        },
        "minhs-story": {
            "title": "Câu chuyện của Minh: một luật sư nói cùng thứ tiếng với anh",
            "teaser": (
                "Minh đã làm việc không công suốt hai năm trên một con tàu đánh cá. Trợ giúp pháp "
                "lý đã giúp anh đòi lại những gì anh đáng được nhận."
            ),
            "paragraphs": [
                "Người ta nói với Minh rằng công việc chỉ kéo dài sáu tháng. Rốt cuộc anh phải ở "
                "ngoài khơi xa suốt hai năm, và giấy tờ tùy thân của anh bị giữ lại.",
                "Khi trở lại đất liền, một luật sư trợ giúp pháp lý và một phiên dịch viên đã ngồi "
                "bên anh trong mọi phiên xét xử, để anh không bao giờ phải một mình kể câu chuyện "
                "của mình cho người lạ.",
            ],
            "quote": "Họ giải thích từng tờ giấy trước khi tôi ký. Trước đây chưa ai làm vậy cả.",
        },
        "sreys-story": {
            "title": "Câu chuyện của Srey: trở lại trường học",
            "teaser": (
                "Srey đã lỡ mất ba năm học. Những lớp học bù và một bộ đồng phục đã đưa em trở "
                "lại lớp học."
            ),
            "paragraphs": [
                "Srey mới mười bốn tuổi khi bị đưa qua biên giới để làm việc. Khi trở về nhà, em "
                "đã chậm hơn các bạn ba năm học.",
                "Nhờ các lớp học bù, sách vở và bộ đồng phục, em lại được ngồi học cùng các bạn "
                "đồng trang lứa. Môn em thích nhất là toán.",
            ],
            "quote": "Em muốn trở thành cô giáo, để cô bé tiếp theo có người để hỏi.",
        },
        "hnins-story": {
            "title": "Câu chuyện của Hnin: hành trình về nhà",
            "teaser": (
                "Hnin muốn về nhà, nhưng không phải một mình. Có người đi cùng và một kế hoạch rõ "
                "ràng, chuyến đi đã trở nên an toàn."
            ),
            "paragraphs": [
                "Sau khi rời khỏi xưởng, nơi cô bị nhốt mỗi đêm, Hnin chỉ mong một điều: được gặp "
                "mẹ.",
                "Chuyến đi băng qua hai đường biên giới. Một nhân viên công tác xã hội đã đi cùng "
                "cô, và một tổ chức đối tác đón cô ở phía bên kia với kế hoạch cho những tháng đầu "
                "tiên sau khi trở về.",
            ],
            "quote": "Tôi đã sợ con đường ấy. Không phải đi một mình đã thay đổi tất cả.",
        },
        "daos-story": {
            "title": "Câu chuyện của Dao: một chiếc máy may của riêng mình",
            "teaser": "Giờ đây Dao cùng hai chị em khác trong hợp tác xã mở một tiệm may nhỏ.",
            "paragraphs": [
                "Dao học may trong một xưởng mà cô không thể rời đi. Khi được tự do, may vá là "
                "điều duy nhất cô không muốn làm lại nữa.",
                "Một năm sau, cô đổi ý, theo cách của riêng mình: với bộ dụng cụ khởi nghiệp từ "
                "hợp tác xã, giờ đây cô tự chọn việc, chọn giờ làm và chọn khách hàng.",
            ],
            "quote": "Chiếc máy vẫn vậy. Điều đã khác là cánh cửa giờ thuộc về tôi.",
        },
    },
    "totals_page": {
        "title": "Khoản ủng hộ đi về đâu",
        "intro": (
            "<p>Mọi con số trên trang này đều lấy trực tiếp từ sổ cái của chúng tôi: số tiền đã "
            "được ủng hộ, hiện đang ở đâu và đã giải ngân cho các đối tác bao nhiêu. Mọi nội dung "
            "ở đây đều là hư cấu.</p>"
        ),
    },
    "donate_pages": {
        "give-to-shelter": {
            "title": "Ủng hộ nơi trú ẩn an toàn",
            "intro": (
                "Đóng góp trực tiếp cho một nhu cầu hư cấu. Mọi nội dung ở đây đều là hư cấu."
            ),
            "heading": "Ủng hộ nhu cầu này",
        },
        "give": {
            "title": "Ủng hộ theo cách của bạn",
            "intro": (
                "Chọn tối đa ba nơi để gửi món quà của bạn và tự quyết định chia bao nhiêu cho "
                "mỗi nơi. Mọi nội dung ở đây đều là hư cấu."
            ),
            "heading": "Chia sẻ món quà của bạn",
        },
    },
}

#: Language code (as in settings.LANGUAGES) -> texts.
TRANSLATIONS = {"th": TH, "vi": VI}
