"""Narrative reports typed as their units published them (text of the real documents), for check-report tests.

Lạng Sơn, July 2019 (section I.1-4 of report 66/BC-TTPVHCC) and Trà Cú, quarter I 2023 (heading,
sections I.1-3 and I.6 and one paragraph of I.8 of report 112/BC-UBND); italics marks dropped.
"""

LANG_SON = [
    'Số: 66 /BC-TTPVHCC',
    'Lạng Sơn, ngày 02 tháng 8 năm 2019',
    'BÁO CÁO',
    'Tình hình hoạt động của Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn tháng 7 năm 2019',
    'Thực hiện Quyết định số 2358/QĐ-UBND ngày 20/11/2018 của Chủ tịch UBND tỉnh thành lập Trung tâm Phục vụ Hành chính công tỉnh Lạng Sơn, Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn báo cáo kết quả hoạt động tháng 7 năm 2019 như sau:',
    'I. KẾT QUẢ THỰC HIỆN',
    '1. Tổng số hồ sơ tiếp nhận tại Trung tâm trong tháng 7/2019 là 2.099 hồ sơ, trong đó kỳ trước chuyển sang là 554 hồ sơ; tiếp nhận mới là 1.545, tiếp nhận trực tuyến 531 hồ sơ, tiếp nhận trực tiếp 991 hồ sơ, tiếp nhận qua dịch vụ bưu chính công ích 23 hồ sơ; thực hiện trả kết quả 1.501 hồ sơ, trong đó có 399 hồ sơ trước hạn (chiếm 26,6%), 1.093 hồ sơ đúng hạn (chiếm 72,8%), 09 hồ sơ trả trễ hẹn (chiếm 0,6%); còn 562 hồ sơ đang trong quá trình giải quyết, trong đó có 556 hồ sơ chưa đến hạn, 06 hồ sơ quá hạn. Hồ sơ có tần suất thực hiện nhiều tập trung ở một số sở, ngành như: Giao thông vận tải 617 hồ sơ, Kế hoạch và Đầu tư 318 hồ sơ, Tư pháp 214 hồ sơ,... (Có biểu tổng hợp kèm theo). Trong tháng, có 786 lượt đánh giá cán bộ tại Trung tâm, trong đó: đánh giá Rất hài lòng là 749 lượt, chiếm 95,3%; 37 lượt đánh giá hài lòng, chiếm 4,7%.',
    '2. Đội ngũ cán bộ, công chức làm việc tại Trung tâm đều chấp hành nghiêm túc thời gian làm việc, mặc đồng phục và đeo thẻ để thực hiện nhiệm vụ; nắm vững và thực hiện quy trình tiếp nhận và trả kết quả đúng quy định; có thái độ đúng mực trong giao tiếp, ứng xử với cá nhân, tổ chức khi đến giải quyết thủ tục hành chính, không gây khó khăn, phiền hà, hướng dẫn đầy đủ, rõ ràng đúng quy định. 100% các TTHC được tiếp nhận tại Trung tâm đều được cán bộ, công chức cập nhật, xử lý trên hệ thống phần mềm Một cửa điện tử.',
    '3. Trung tâm cử cán bộ thường xuyên thực hiện giám sát tại khu vực tiếp nhận và trả kết quả, vừa hướng dẫn cá nhân, tổ chức đến thực hiện TTHC vừa đôn đốc, nhắc nhở, hỗ trợ cán bộ các sở, ngành trong việc vận hành trang thiết bị, phần mềm giải quyết công việc, tạo thuận lợi cho cá nhân, tổ chức khi có yêu cầu; Các cá nhân, tổ chức đến thực hiện TTHC đều hài lòng và đánh giá cao thái độ phục vụ của đội ngũ cán bộ, công chức trong việc hướng dẫn, tiếp nhận, giải quyết và trả kết quả. Trong tháng, Trung tâm không nhận được ý kiến phản ánh, kiến nghị nào của cá nhân, tổ chức.',
    '4. Trung tâm bố trí 01 quầy Hướng dẫn tại sảnh ra vào liền kề khu vực máy lấy số tự động; xây dựng lịch phân công các công chức, viên chức và nhân viên trực tại quầy để hướng dẫn cá nhân, tổ chức đến thực hiện TTHC tại Trung tâm.',
]

TRA_CU = [
    'Số: 112/BC-UBND',
    'Trà Cú, ngày 24 tháng 3 năm 2023',
    'BÁO CÁO',
    'Kết quả thực hiện kiểm soát TTHC, triển khai cơ chế một cửa, một cửa liên thông và thực hiện TTHC trên môi trường điện tử quý I năm 2023',
    'Kính gửi: Văn phòng Ủy ban nhân dân tỉnh.',
    'Thực hiện Thông tư số 01/2020/TT-VPCP ngày 21/10/2020 của Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ quy định chế độ báo cáo định kỳ và quản lý, sử dụng, khai thác Hệ thống thông tin báo cáo của Văn phòng Chính phủ; Quyết định số 20/QĐ-UBND ngày 09/01/2023 của UBND tỉnh Ban hành Kế hoạch kiểm soát thủ tục hành chính năm 2023 trên địa bàn tỉnh Trà Vinh. UBND huyện Trà Cú báo cáo kết quả thực hiện như sau:',
    'I. TÌNH HÌNH, KẾT QUẢ KIỂM SOÁT THỦ TỤC HÀNH CHÍNH (TTHC)',
    '1. Đánh giá tác động TTHC quy định tại dự thảo văn bản quy phạm pháp luật (QPPL)',
    '- Số lượng TTHC đã được đánh giá tác động trong kỳ báo cáo: 00.',
    '- Số lượng TTHC được ban hành trong kỳ báo cáo đã được đánh giá tác động: 00.',
    '2. Thẩm định, thẩm tra TTHC quy định tại dự thảo văn bản QPPL',
    'Tổng số TTHC và tổng số văn bản QPPL trong kỳ báo cáo: 00.',
    '3. Công bố, công khai TTHC, danh mục TTHC',
    '- Tổng số Quyết định công bố TTHC/danh mục TTHC đã được ban hành trong kỳ báo cáo: 00.',
    '- Tổng số văn bản QPPL có quy định TTHC được công bố: 00.',
    '- Tổng số TTHC/danh mục TTHC được công bố: 00 (thẩm quyền của cấp tỉnh); TTHC được công khai: 270 TTHC.',
    '- Tổng số TTHC thuộc thẩm quyền quản lý, theo dõi của Ủy ban nhân dân huyện đến thời điểm báo cáo: 270 TTHC; trong đó số TTHC thuộc thẩm quyền giải quyết của cơ quan: 270 TTHC.',
    '- Tổng số TTHC thuộc thẩm quyền giải quyết của địa phương: 424 (cấp huyện 270 thủ tục; cấp xã: 154 thủ tục); trong đó: số TTHC do Trung ương quy định: 424; số TTHC do địa phương quy định: 00.',
    '6. Tình hình, kết quả giải quyết TTHC',
    '- Tổng số hồ sơ TTHC đã tiếp nhận trong kỳ báo cáo, trong đó: Số mới tiếp nhận trong kỳ: 26.199 (trực tuyến: 4.049, đạt 15,5% so với tổng số hồ sơ đã tiếp nhận; trực tiếp 22.150, đạt 84,5% so với tổng số hồ sơ đã tiếp nhận); số từ kỳ trước chuyển qua: 03.',
    '- Số lượng hồ sơ đã giải quyết: 26.188; trong đó, giải quyết trước hạn: 5.621, đạt 21,5%, đúng hạn: 20.567, đạt 78,5%, quá hạn: 00.',
    '- Số lượng hồ sơ đang giải quyết: 14; trong đó, trong hạn: 14, quá hạn: 00.',
    '(đính kèm phụ lục 06b.VPCP.KSTTHC)',
    '- Phối hợp với các sở, ngành tỉnh có liên quan tích hợp được 313 thủ tục cấp huyện lên cổng dịch vụ của tỉnh, trong đó: 143 mức độ 2, 148 mức độ 3, 22 mức độ 4 và Quyết định số 973/QĐ-UBND ngày 30/5/2022 của Chủ tịch UBND tỉnh phê duyệt Danh mục DVC trực tuyến mức độ 3,4 của tỉnh được tích hợp trên Cổng DVC quốc gia năm 2022. Theo đó, huyện có 147 dịch vụ công được phê duyệt để tích hợp trên Cổng Dịch vụ công quốc gia (mức độ 3: 97 thủ tục, mức độ 4: 50 thủ tục).',
]
